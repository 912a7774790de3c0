/**
 * The Python that runs the docs' snippets: the first of $PAYNOCCHIO_PYTHON, python3 and
 * /usr/bin/python3 that imports `requests` (scripts/ensure-python-requests.sh, run by
 * `npm test`, installs Debian's python3-requests when none does). A test that needs it
 * calls pythonWithRequests() and FAILS with the reason when there is none: it never skips.
 */
import { spawnSync } from 'node:child_process';

const DEFAULT_CANDIDATES = [process.env.PAYNOCCHIO_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
const found = new Map<string, string>();

export function pythonWithRequests(candidates: string[] = DEFAULT_CANDIDATES): string {
  const key = candidates.join('\n');
  const known = found.get(key);
  if (known) return known;
  for (const python of candidates) {
    if (spawnSync(python, ['-c', 'import requests'], { encoding: 'utf8' }).status === 0) {
      found.set(key, python);
      return python;
    }
  }
  throw new Error(
    `no Python with requests (tried ${candidates.join(', ')}): run \`bash scripts/ensure-python-requests.sh\` (npm test does) or set PAYNOCCHIO_PYTHON`,
  );
}
