/** One timed phase of the end-to-end run. */
export interface PhaseTime {
  name: string;
  seconds: number;
}

/** Runs the phases of the end-to-end test one after another and prints how long each took. */
export class Phases {
  /** The phases finished so far, in order. */
  readonly done: PhaseTime[] = [];

  /** Runs `fn` as the phase `name`, printing its duration when it ends (or fails). */
  async run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    let outcome = 'failed';
    try {
      const value = await fn();
      outcome = 'done';
      return value;
    } finally {
      const seconds = (performance.now() - start) / 1000;
      this.done.push({ name, seconds });
      process.stdout.write(`e2e phase ${name}: ${outcome} in ${seconds.toFixed(1)} s\n`);
    }
  }

  /** One line per phase and the total, for the end of the run. */
  summary(): string {
    const total = this.done.reduce((sum, p) => sum + p.seconds, 0);
    const lines = this.done.map((p) => `  ${p.name.padEnd(46)} ${p.seconds.toFixed(1).padStart(7)} s`);
    return ['e2e phases:', ...lines, `  ${'total'.padEnd(46)} ${total.toFixed(1).padStart(7)} s`].join('\n') + '\n';
  }
}
