/**
 * `[providers.X] type = "scripted"` in ares.toml (SPEC §2, §7): the registry replays
 * the `script` file (TOML or JSON, relative to the home) in order; after the last reply it loops by
 * default, or fails / echoes as `when_exhausted` says; a missing or malformed script is a
 * CONFIG_INVALID error naming the file and the problem.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAresConfig } from '../../src/config/ares-toml.js';
import { createProviderRegistry } from '../../src/llm/registry.js';
import type { ChatRequest, ProviderEvent } from '../../src/llm/types.js';
import { tempDir } from '../helpers/tmp.js';

const req = (text: string): ChatRequest => ({ model: 'm', messages: [{ role: 'user', content: text }] });

async function reply(events: AsyncIterable<ProviderEvent>) {
  let text = '';
  const calls: { name: string; arguments: string }[] = [];
  let finish = '';
  for await (const e of events) {
    if (e.type === 'text_delta') text += e.text;
    if (e.type === 'tool_call') calls.push({ name: e.call.function.name, arguments: e.call.function.arguments });
    if (e.type === 'finish') finish = e.reason;
  }
  return { text, calls, finish };
}

const TOML_SCRIPT = `
[[replies]]
tool_calls = [{ name = "calculator", arguments = { expression = "6*7" } }]

[[replies]]
text = "The answer is 42."
usage = { input_tokens = 10, output_tokens = 5 }
`;

function registryFor(toml: string, home: string) {
  const config = parseAresConfig(toml, join(home, 'ares.toml'));
  return createProviderRegistry(config.providers, { baseDir: home, env: {} });
}

describe('scripted provider from ares.toml', () => {
  it('replays a TOML script relative to the home in order, then loops back to the first reply', async () => {
    const home = tempDir('cx-script-');
    writeFileSync(join(home, 'demo.toml'), TOML_SCRIPT);
    const reg = registryFor('[providers.script]\ntype = "scripted"\nscript = "demo.toml"\n', home);
    expect(reg.states()).toEqual([{ name: 'script', type: 'scripted', state: 'ready' }]);
    const p = await reg.get('script');
    expect(await reply(p.chat(req('q')))).toEqual({ text: '', calls: [{ name: 'calculator', arguments: '{"expression":"6*7"}' }], finish: 'tool_calls' });
    expect(await reply(p.chat(req('q')))).toEqual({ text: 'The answer is 42.', calls: [], finish: 'stop' });
    expect((await reply(p.chat(req('again')))).calls).toEqual([{ name: 'calculator', arguments: '{"expression":"6*7"}' }]);
  });

  it('reads JSON scripts; when_exhausted = "error" fails after the last reply, "echo" echoes', async () => {
    const home = tempDir('cx-script-');
    writeFileSync(join(home, 'one.json'), JSON.stringify([{ text: 'only once' }]));
    const erroring = await registryFor('[providers.s]\ntype = "scripted"\nscript = "one.json"\nwhen_exhausted = "error"\n', home).get('s');
    expect((await reply(erroring.chat(req('a')))).text).toBe('only once');
    await expect(reply(erroring.chat(req('b')))).rejects.toThrow('scripted provider s has no reply left');

    const echoing = await registryFor('[providers.s]\ntype = "scripted"\nscript = "one.json"\nwhen_exhausted = "echo"\n', home).get('s');
    await reply(echoing.chat(req('a')));
    expect((await reply(echoing.chat(req('say this')))).text).toBe('echo: say this');
  });

  it('an error reply fails that request with PROVIDER_ERROR', async () => {
    const home = tempDir('cx-script-');
    writeFileSync(join(home, 's.json'), JSON.stringify({ replies: [{ error: 'the model is having a bad day' }, { text: 'better now' }] }));
    const p = await registryFor('[providers.s]\ntype = "scripted"\nscript = "s.json"\n', home).get('s');
    await expect(reply(p.chat(req('a')))).rejects.toMatchObject({ code: 'PROVIDER_ERROR', message: 'the model is having a bad day' });
    expect((await reply(p.chat(req('b')))).text).toBe('better now');
  });

  it('a missing, absent or malformed script is CONFIG_INVALID naming the file and the problem', () => {
    const home = tempDir('cx-script-');
    expect(() => registryFor('[providers.s]\ntype = "scripted"\n', home)).toThrow(/\[providers\.s\] type = "scripted" needs script = "FILE"/);
    expect(() => registryFor('[providers.s]\ntype = "scripted"\nscript = "nope.toml"\n', home)).toThrow(
      `[providers.s] script ${join(home, 'nope.toml')}: file not found`,
    );
    writeFileSync(join(home, 'bad.toml'), '[[replies]]\ntxt = "typo"\n');
    expect(() => registryFor('[providers.s]\ntype = "scripted"\nscript = "bad.toml"\n', home)).toThrow(/bad\.toml: .*replies\.0.*txt/);
    writeFileSync(join(home, 'broken.json'), '{"replies": [');
    expect(() => registryFor('[providers.s]\ntype = "scripted"\nscript = "broken.json"\n', home)).toThrow(/broken\.json: cannot parse/);
  });
});
