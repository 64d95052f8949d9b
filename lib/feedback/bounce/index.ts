export { analyzeMessage, type BounceAnalysis } from "./analyze";
export { classifyDiagnostic } from "./classify";
export type { BounceKind } from "./kind";
