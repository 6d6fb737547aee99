import { eventually } from './eventually.js';
import type { ProbeQuestions } from './probe-questions.js';

/** The agent's journal in the guest (vdagent.service), message text only. */
export function agentJournal(questions: ProbeQuestions): Promise<string> {
  return questions.output('/usr/bin/journalctl', '--unit', 'vdagent.service', '--output', 'cat', '--no-pager');
}

/** The first match of `pattern` in the agent's journal from line `since` on, waiting up to `timeoutMs` for it. */
export function journalMatch(questions: ProbeQuestions, pattern: RegExp, timeoutMs: number, since = 0): Promise<RegExpExecArray> {
  return eventually(async () => {
    const text = (await agentJournal(questions)).split('\n').slice(since).join('\n');
    const match = pattern.exec(text);
    if (!match) throw new Error(`nothing like ${String(pattern)} in the agent's journal:\n${text.split('\n').slice(-30).join('\n')}`);
    return match;
  }, timeoutMs);
}

/** How many lines the agent's journal has now (a `since` for journalMatch). */
export async function agentJournalLength(questions: ProbeQuestions): Promise<number> {
  return (await agentJournal(questions)).split('\n').length - 1;
}
