/**
 * .ci/run's closing line and verdict (.ci/results.js): "N passed, N failed, N skipped",
 * and a skip not listed in .ci/expected-skips (with a reason) fails the run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'ci-results-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(assertions: { status: string; fullName: string }[], skips: string) {
  const results = {
    numPassedTests: assertions.filter((a) => a.status === 'passed').length,
    numFailedTests: assertions.filter((a) => a.status === 'failed').length,
    numTotalTests: assertions.length,
    numRuntimeErrorTestSuites: 0,
    testResults: [{ name: join(ROOT, 'test/api/x.test.ts'), status: 'passed', assertionResults: assertions }],
  };
  writeFileSync(join(dir, 'r.json'), JSON.stringify(results));
  writeFileSync(join(dir, 'skips'), skips);
  const out = spawnSync('node', [join(ROOT, '.ci/results.js'), join(dir, 'r.json'), join(dir, 'skips')], { encoding: 'utf8' });
  return { code: out.status, lines: out.stdout.trim().split('\n') };
}

test('counts passed, failed and skipped; an unlisted skip fails the run, a listed one with a reason does not', () => {
  const tests = [
    { status: 'passed', fullName: 'a' },
    { status: 'pending', fullName: 'group b' },
    { status: 'todo', fullName: 'c' },
  ];
  const unlisted = run(tests, '# nothing expected\n');
  expect(unlisted.code).toBe(1);
  expect(unlisted.lines.at(-1)).toBe('1 passed, 0 failed, 2 skipped');
  expect(unlisted.lines).toContain('[skips] NOT EXPECTED: test/api/x.test.ts | group b');

  const listed = run(tests, 'test/api/x.test.ts | group b | needs a GPU\ntest/api/x.test.ts | c | written later\n');
  expect(listed).toEqual({ code: 0, lines: expect.arrayContaining(['1 passed, 0 failed, 2 skipped']) });

  // A listed skip without its reason is refused.
  expect(run(tests, 'test/api/x.test.ts | group b\ntest/api/x.test.ts | c | later\n').code).toBe(1);
  // A failure fails, whatever is listed; nothing run fails.
  expect(run([{ status: 'failed', fullName: 'a' }], '').lines.at(-1)).toBe('0 passed, 1 failed, 0 skipped');
  expect(run([{ status: 'failed', fullName: 'a' }], '').code).toBe(1);
  expect(run([], '').code).toBe(1);
  expect(run([{ status: 'passed', fullName: 'a' }], '')).toEqual({ code: 0, lines: ['1 passed, 0 failed, 0 skipped'] });
});
