// Reads jest's JSON result (.test-results.json) and .ci/expected-skips; prints every skipped
// test not listed there, then the closing line "N passed, N failed, N skipped" (last line).
// Exit 0 only when nothing failed, something ran, and every skip is listed with a reason.
// Usage: node .ci/results.js [results.json] [expected-skips]
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const resultsFile = process.argv[2] || path.join(root, '.test-results.json');
const skipsFile = process.argv[3] || path.join(__dirname, 'expected-skips');

function readExpected(file) {
  const expected = new Map();
  const problems = [];
  if (!fs.existsSync(file)) return { expected, problems };
  fs.readFileSync(file, 'utf8').split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const [testFile, name, reason] = line.split('|').map((s) => s.trim());
    if (!testFile || !name || !reason) problems.push(`${path.basename(file)}:${i + 1}: expected "<test file> | <full test name> | <reason>"`);
    else expected.set(`${testFile} | ${name}`, reason);
  });
  return { expected, problems };
}

const r = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
const { expected, problems } = readExpected(skipsFile);
// A file that failed before running any test (a syntax error, a failing beforeAll) counts once.
const failedSuites = r.testResults.filter((s) => s.status === 'failed' && s.assertionResults.length === 0).length;
const failed = r.numFailedTests + failedSuites + (r.numRuntimeErrorTestSuites && !failedSuites ? r.numRuntimeErrorTestSuites : 0);
const skipped = [];
for (const suite of r.testResults) {
  const file = path.relative(root, suite.name);
  for (const a of suite.assertionResults) {
    if (a.status === 'pending' || a.status === 'skipped' || a.status === 'todo' || a.status === 'disabled') skipped.push(`${file} | ${a.fullName}`);
  }
}
const unexpected = skipped.filter((s) => !expected.has(s));
for (const p of problems) console.log(`[skips] ${p}`);
for (const s of skipped) console.log(`[skips] ${expected.has(s) ? 'expected' : 'NOT EXPECTED'}: ${s}${expected.has(s) ? ` (${expected.get(s)})` : ''}`);
if (unexpected.length) console.log(`[skips] ${unexpected.length} skipped test(s) not listed in .ci/expected-skips: list them with a reason, or make them run`);
console.log(`${r.numPassedTests} passed, ${failed} failed, ${skipped.length} skipped`);
process.exit(failed === 0 && r.numTotalTests > 0 && unexpected.length === 0 && problems.length === 0 ? 0 : 1);
