/**
 * Keeps src/ walkable: no file over 200 lines, no function over 60 (tests are exempt). Part of
 * `npm run lint`; prints each offender and exits 1.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const ROOT = 'src';
const MAX_FILE_LINES = 200;
const MAX_FUNCTION_LINES = 60;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function problemsIn(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const problems: string[] = [];
  const lines = source.getLineAndCharacterOfPosition(source.getEnd()).line + 1;
  if (lines > MAX_FILE_LINES) problems.push(`${path}: ${lines} lines (at most ${MAX_FILE_LINES})`);
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      if (end - start + 1 > MAX_FUNCTION_LINES) {
        problems.push(`${path}:${start + 1}: a function of ${end - start + 1} lines (at most ${MAX_FUNCTION_LINES})`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return problems;
}

const problems = sourceFiles(ROOT).flatMap(problemsIn);
for (const problem of problems) console.error(problem);
if (problems.length > 0) process.exit(1);
console.log(
  `code size: every file in ${ROOT}/ within ${MAX_FILE_LINES} lines, every function within ${MAX_FUNCTION_LINES}`,
);
