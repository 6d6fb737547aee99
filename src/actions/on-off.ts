/** The words an on/off setting accepts, on and off alike. */
const ON = ['on', 'yes', 'true'];
const OFF = ['off', 'no', 'false'];

/** The settings check for an on/off value: undefined when it is one, else why not. */
export function checkOnOff(value: string): string | undefined {
  return ON.includes(value) || OFF.includes(value) ? undefined : `expected on or off, got ${JSON.stringify(value)}`;
}

/** Whether an on/off setting (already checked; `fallback` when absent) means on. */
export function isOn(value: string | undefined, fallback: boolean): boolean {
  return value === undefined ? fallback : ON.includes(value);
}
