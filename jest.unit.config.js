/**
 * `npm run test:unit`: the pure functions only (test/unit), without the stack — no
 * global setup or teardown, so it needs no Postgres, Temporal or stripe-mock and takes
 * seconds. `npm test` runs these files too (jest.config.js matches all of test/).
 */
const base = require('./jest.config');

module.exports = {
  testEnvironment: base.testEnvironment,
  transform: base.transform,
  testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
  testTimeout: 10_000,
};
