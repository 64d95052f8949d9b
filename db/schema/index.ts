export * from "./accounts";
export * from "./auth";
export * from "./audit";
export * from "./pools";
export * from "./outbox";
export * from "./senders";
export * from "./templates";
export * from "./tasks";
