/** Non-interactive UI policies for hosts without a screen (the CLI and the demo). */
import type { UiAnswer, UiRequest, UserInterface } from '../../src/platform';

/**
 * 'accept': confirm → yes, input → the default response (or empty), choices → the default or the
 * first; 'reject': confirm → no, everything else cancelled. Answers come on the next tick.
 */
export function policyUi(policy: 'accept' | 'reject', log?: (msg: string) => void): UserInterface {
  return {
    ask(req: UiRequest, done: (a: UiAnswer) => void): void {
      let a: UiAnswer;
      if (policy === 'reject') a = req.kind === 'confirm' ? { outcome: 'no' } : req.kind === 'display' || req.kind === 'notification' ? { outcome: 'ok' } : { outcome: 'cancel' };
      else if (req.kind === 'input') a = { outcome: 'ok', text: req.defaultResponse ?? '' };
      else if (req.kind === 'single') a = { outcome: 'ok', choices: [req.defaultResponse ? parseInt(req.defaultResponse, 10) || 1 : 1] };
      else if (req.kind === 'multi') a = { outcome: 'ok', choices: req.defaultResponse ? req.defaultResponse.split('-').map((x) => parseInt(x, 10)).filter((x) => x > 0) : [1] };
      else a = { outcome: 'ok' };
      log?.(`UI ${req.kind}: "${req.text}" → ${a.outcome}${a.text !== undefined ? ` "${a.text}"` : ''}${a.choices ? ` ${a.choices.join(',')}` : ''}`);
      setImmediate(() => done(a));
    },
  };
}
