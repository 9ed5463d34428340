// Awaits a promise that must reject with an OioError and returns that error, so a test can
// assert its class, code and context; any other outcome fails the test.
import { OioError } from '../../src/oio/errors.js';

export async function failure(p: Promise<unknown>): Promise<OioError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OioError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}
