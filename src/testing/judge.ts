/**
 * The `judge` expectation (promptfoo's llm-rubric): `[test] judge_model` of ares.toml grades a reply
 * against a rubric and answers `PASS` or `FAIL` with a reason on the first line. Its requests go
 * through the suite's cassette like the agent's, so a replayed suite grades offline too.
 */
import type { Services } from '../daemon/services.js';
import { cassetteProvider, type Cassette } from '../llm/cassette.js';
import type { Provider } from '../llm/types.js';
import type { Judge } from './assertions.js';

const INSTRUCTIONS =
  'You grade an AI assistant\'s reply against a rubric. Answer with one line: "PASS: <reason>" when the reply meets the rubric, otherwise "FAIL: <reason>".';

/** The judge grading with model alias `judgeModel` (`[test] judge_model`); undefined when unset (judge expectations are then skipped). */
export function createJudge(services: Services, judgeModel: string | undefined, cassette: Cassette | undefined): Judge | undefined {
  if (!judgeModel) return undefined;
  return async (rubric, reply) => {
    const model = services.watcher.current().models.get(judgeModel)?.value;
    if (!model) return { pass: false, reason: `[test] judge_model ${judgeModel} is not a model in config/models` };
    const real = () => services.providers.get(model.provider);
    const provider: Provider = cassette ? cassetteProvider(cassette, real, model.provider) : await real();
    let text = '';
    for await (const ev of provider.chat({
      model: model.model,
      messages: [
        { role: 'system', content: INSTRUCTIONS },
        { role: 'user', content: `Rubric: ${rubric}\n\nReply:\n${reply}` },
      ],
    })) {
      if (ev.type === 'text_delta') text += ev.text;
    }
    const verdict = text.trim();
    return { pass: /^PASS\b/i.test(verdict), reason: verdict || '(no answer)' };
  };
}
