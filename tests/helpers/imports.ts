import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/*
 * The project's own import graph, read with the TypeScript compiler API: for each file, the project
 * files it imports (resolved as the bundler does: `@/x`, relative paths, index files), whether each
 * import survives compilation (`import type` and all-type import lists do not), and the packages it
 * names. Used by the tests that hold the layers and the server-only marker.
 */

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const EXTENSIONS = ["", ".ts", ".tsx", "/index.ts", "/index.tsx"];

export type ImportEdge = { target: string; typeOnly: boolean };
export type FileImports = { file: string; project: ImportEdge[]; packages: string[]; directives: string[] };

export function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "migrations" || entry.name === "node_modules" ? [] : sourceFiles(relative);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [relative] : [];
  });
}

function resolveProjectPath(from: string, specifier: string): string | null {
  let base: string;
  if (specifier.startsWith("@/")) base = specifier.slice(2);
  else if (specifier.startsWith(".")) base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  else return null;
  const target = EXTENSIONS.map((extension) => base + extension).find((candidate) => fs.statSync(path.join(ROOT, candidate), { throwIfNoEntry: false })?.isFile());
  if (!target) throw new Error(`${from}: cannot resolve "${specifier}"`);
  return target;
}

function isTypeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (!clause) return false; // `import "x"` runs x
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const bindings = clause.namedBindings;
  return !!bindings && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((element) => element.isTypeOnly);
}

const cache = new Map<string, FileImports>();

export function importsOf(file: string): FileImports {
  const known = cache.get(file);
  if (known) return known;
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: FileImports = { file, project: [], packages: [], directives: [] };
  const add = (specifier: string, typeOnly: boolean) => {
    const target = resolveProjectPath(file, specifier);
    if (target) found.project.push({ target, typeOnly });
    else found.packages.push(specifier);
  };
  for (const statement of source.statements) {
    if (ts.isExpressionStatement(statement) && ts.isStringLiteral(statement.expression)) found.directives.push(statement.expression.text);
  }
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) add(node.moduleSpecifier.text, isTypeOnlyImport(node));
    else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) add(node.moduleSpecifier.text, node.isTypeOnly);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) add(node.arguments[0].text, false);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) add(node.argument.literal.text, true);
    ts.forEachChild(node, visit);
  };
  visit(source);
  cache.set(file, found);
  return found;
}
