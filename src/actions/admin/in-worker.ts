import { Worker } from 'node:worker_threads';

/**
 * Runs a worker script with `data` and resolves with the one message it posts: for a blocking
 * system call (a trim, a freeze) that must not hold up the agent's other work. Callers name the
 * script as `new URL('./x.js', import.meta.url)`, the form the bundler keeps beside its pieces.
 */
export function inWorker<T>(script: URL, data: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, { workerData: data });
    worker.once('message', (result: T) => resolve(result));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the worker ${script.pathname} exited with status ${code}`)));
  });
}
