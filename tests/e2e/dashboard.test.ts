/**
 * The web dashboard in a real browser (Debian's /usr/bin/chromium driven by playwright-core) against
 * the real daemon with `[auth] required = true` and the fake OpenAI server: the login page gates
 * everything; the admin sees the shipped agents, chats with one and watches the reply stream in with
 * its tool call, stops an agent and sees its state change without a reload, sees runs made outside
 * the page counted in the agent's last-hour figures without a reload, filters runs on the daemon, sees a
 * delegating run's last activity without a reload and its tree of sub-agent runs on Runs, edits an agent in the
 * form and in the TOON text (each updating the other), saves a broken definition and sees the error
 * at its line, sees a hot-reload error on System and filters the live log; chats with a workflow and
 * sees the hand-over; approves a gated tool call from the chat (after finding the run in the pending
 * list) and sees the run finish, and rejects another; on Memory adds an item, finds it by keyword
 * search with its score, deletes it and re-embeds with the progress stream; a non-admin sees no
 * admin controls. Screenshots of each page go to test-output/dashboard/ (not committed); with
 * CAXTON_DOCS_SCREENSHOT=1 the Agents page after the chat is also written to docs/dashboard.png.
 * Skipped, saying why, where /usr/bin/chromium is absent (Debian package `chromium`).
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/client/http.js';
import type { ConfigStatus } from '../../src/domain/status.js';
import { homeRegistry, openaiToml, REPO_ROOT, requireBuild, waitFor, type TestHome } from '../helpers/cli.js';
import type { FakeOpenAI } from '../helpers/fake-openai.js';

requireBuild();

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const SHOTS = join(REPO_ROOT, 'test-output', 'dashboard');
const ADMIN = { email: 'admin@example.com', password: 'admin password 1' };
const USER = { email: 'user@example.com', password: 'user password 1' };
/** How long one thing may take to show in the page (ms). */
const SHOW = 10_000;
/** An agent whose calculator calls wait for approval (docs/patterns.md "Approval gate"). */
const GATED = 'name: gated\nmodel: balanced\ntools[1]: calculator\napproval[1]: calculator\nsystem_prompt: "You do arithmetic with the calculator."\n';
/** The memory embedder: the fake server's `/v1/embeddings` (no builtin model to load in the daemon). */
const EMBEDDER = 'name: embedder\nprovider: openai\nmodel: text-embedding-fake\n';

describe.skipIf(!hasChromium)('web dashboard in Chromium (real daemon, auth required, fake OpenAI)', { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let home: TestHome;
  let url = '';
  let browser: Browser;
  let page: Page;

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  /** The assistant's reply on the Chat page so far ('' before one shows). */
  const assistantText = () =>
    page
      .getByTestId('assistant')
      .textContent()
      .catch(() => '');
  const go = (label: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click();
  const signIn = async (who: { email: string; password: string }) => {
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('whoami').waitFor({ timeout: SHOW });
  };
  const configStatus = () => requestJson<ConfigStatus>(home.socket, '/api/config/status');
  const row = (agent: string) => page.locator(`tr[data-agent="${agent}"]`);
  let adminToken = '';
  /** A chat with customer-support as the admin over HTTP (outside the page), so the page only learns of it from live events. */
  const adminChat = (message: string) =>
    fetch(`${url}/api/agents/customer-support/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message }),
    });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    ({ fake, home, url } = await homes.startWithFake(undefined, (h, f) => {
      h.writeAresToml(openaiToml(f.url, '\n[auth]\nrequired = true\n\n[memory]\nembedder = "embedder"\n'));
      h.writeFile('config/models/embedder.toon', EMBEDDER);
      h.writeFile('config/agents/gated.toon', GATED);
      h.writeFile('config/agents/boss.toon', 'name: boss\nmodel: fast\nagents[1]: helper\nsystem_prompt: "Delegate."\n');
      h.writeFile('config/agents/helper.toon', 'name: helper\nmodel: fast\ndescription: Helps out\nsystem_prompt: "Help."\n');
    }));
    await requestJson(home.socket, '/api/users', { method: 'POST', body: { ...ADMIN, is_admin: true } });
    await requestJson(home.socket, '/api/users', { method: 'POST', body: USER });
    const login = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    adminToken = ((await login.json()) as { access_token: string }).access_token;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'], timeout: 20_000 });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  }, 40_000);
  afterAll(async () => {
    await browser?.close();
    await homes.cleanupAll();
  });

  it('the login page gates everything; the admin then sees the shipped agents', async () => {
    await page.goto(url);
    await page.getByRole('heading', { name: 'Sign in to Caxton' }).waitFor({ timeout: SHOW });
    expect(await page.evaluate(async () => (await fetch('/api/agents')).status)).toBe(401);
    await shot('login');
    await signIn(ADMIN);
    for (const name of ['customer-support', 'orchestrator', 'router']) await row(name).waitFor({ timeout: SHOW });
    expect(await page.getByTestId('whoami').textContent()).toContain('(admin)');
    await expect.poll(() => row('orchestrator').locator('td').nth(4).textContent(), { timeout: SHOW }).toContain('planning');
    await shot('agents');
  });

  it('chat: the reply streams in with the tool call and its result, then usage and cost', async () => {
    fake.enqueue(
      { tool_calls: [{ name: 'calculator', arguments: '{"expression":"6*7"}' }] },
      { content: 'The answer is 42, as computed.', chunk_delay_ms: 30 },
    );
    await go('Chat');
    await page.getByLabel('Agent').selectOption('customer-support');
    await page.getByLabel('Message').fill('what is 6 times 7?');
    await page.getByRole('button', { name: 'Send' }).click();
    const tool = page.getByTestId('tool-call');
    await tool.waitFor({ timeout: SHOW });
    expect(await tool.textContent()).toContain('calculator');
    await expect.poll(() => tool.textContent(), { timeout: SHOW }).toContain('→ 42');
    await page.getByTestId('turn-usage').waitFor({ timeout: SHOW });
    expect(await page.getByTestId('assistant').textContent()).toBe('The answer is 42, as computed.');
    expect(await page.getByTestId('turn-usage').textContent()).toMatch(/\d+ in \/ \d+ out tokens · \$[\d.]+ · \d+ ms · stop/);
    await shot('chat');
  });

  it('stopping an agent changes its state on the page without a reload', async () => {
    await go('Agents');
    await expect.poll(() => row('customer-support').locator('td').nth(5).textContent(), { timeout: SHOW }).not.toBe('—');
    await shot('agents-after-chat');
    if (process.env.CAXTON_DOCS_SCREENSHOT === '1') copyFileSync(join(SHOTS, 'agents-after-chat.png'), join(REPO_ROOT, 'docs', 'dashboard.png'));
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 1));
    await row('router').getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => row('router').getByTestId('state').textContent(), { timeout: SHOW }).toBe('stopped');
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(1);
    await row('router').getByRole('button', { name: 'Start', exact: true }).click();
    await expect.poll(() => row('router').getByTestId('state').textContent(), { timeout: SHOW }).toBe('running');
  });

  it("the agents' last hour: runs through the fake OpenAI server show up in the figures without a reload", async () => {
    await go('Agents');
    const stat = (name: string) => row('customer-support').getByTestId('hour').locator(`[data-stat="${name}"]`);
    await expect.poll(() => stat('runs').textContent(), { timeout: SHOW }).toBe('1 run');
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 2));
    fake.enqueue({ content: 'Answered.', usage: { prompt_tokens: 1000, completion_tokens: 234 } });
    expect((await adminChat('a second question')).status).toBe(200);
    await expect.poll(() => stat('runs').textContent(), { timeout: SHOW }).toBe('2 runs');
    expect(Number((await stat('tokens').textContent())!.replace(/\D/g, ''))).toBeGreaterThan(1234);
    expect(await stat('p50').textContent()).toMatch(/^p50 \d+ ms$/);
    expect(await stat('errors').textContent()).toBe('0 errors');
    fake.enqueue({ status: 400, content: 'bad request' });
    expect((await adminChat('this one fails')).ok).toBe(false);
    await expect.poll(() => stat('errors').textContent(), { timeout: SHOW }).toBe('1 error');
    expect(await stat('runs').textContent()).toBe('3 runs');
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(2);
    await shot('agents-hour');
  });

  it('Runs: the daemon applies the status, finish reason and time filters', async () => {
    await go('Runs');
    const runs = page.locator('tr[data-run]');
    await expect.poll(() => runs.count(), { timeout: SHOW }).toBe(3);
    /** Pick `value` in the filter `label`: @returns the query of the executions request it made. */
    const filter = async (label: string, value: string) => {
      const request = page.waitForRequest((r) => r.url().includes('/api/executions?'), { timeout: SHOW });
      await page.getByLabel(label).selectOption(value);
      return new URL((await request).url()).searchParams;
    };
    expect((await filter('Status', 'error')).get('status')).toBe('error');
    await expect.poll(() => runs.count(), { timeout: SHOW }).toBe(1);
    expect((await filter('Finish reason', 'stop')).get('finish_reason')).toBe('stop');
    await expect.poll(() => runs.count(), { timeout: SHOW }).toBe(0);
    await filter('Status', '');
    await expect.poll(() => runs.count(), { timeout: SHOW }).toBe(2);
    await filter('Finish reason', '');
    expect(Number((await filter('Since', '15m')).get('since'))).toBeGreaterThan(Date.now() - 16 * 60_000);
    await expect.poll(() => runs.count(), { timeout: SHOW }).toBe(3);
    await shot('runs');
    await filter('Since', '');
    await go('Agents');
  });

  it("a run with a sub-agent: last activity moves without a reload; Runs shows the run's tree and the child's detail", async () => {
    const lastActivity = row('boss').getByTestId('last-activity');
    await expect.poll(() => lastActivity.textContent(), { timeout: SHOW }).toBe('—');
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 3));
    fake.enqueue(
      { tool_calls: [{ name: 'agent__helper', arguments: '{"input":"help me"}' }] },
      { content: 'helper says hi' },
      { content: 'boss got: helper says hi' },
    );
    const chat = await fetch(`${url}/api/agents/boss/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'go', trace: true }),
    });
    expect(chat.status).toBe(200);
    await expect.poll(() => lastActivity.textContent(), { timeout: SHOW }).not.toBe('—');
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(3);

    await go('Runs');
    await page.locator('tr[data-run]', { hasText: 'boss' }).getByRole('button').click();
    const tree = page.getByRole('list', { name: 'Execution tree' });
    const child = tree.getByRole('button', { name: 'helper' });
    await child.waitFor({ timeout: SHOW });
    expect(await tree.getByRole('button', { name: 'boss' }).getAttribute('aria-current')).toBe('true');
    expect(await page.getByTestId('node-output').textContent()).toBe('boss got: helper says hi');
    await expect.poll(() => page.getByTestId('trace').locator('summary').textContent(), { timeout: SHOW }).toMatch(/^Trace: \d+ steps$/);
    await child.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#node-title').textContent(), { timeout: SHOW }).toMatch(/^helper · exec_/);
    expect(await page.getByTestId('node-output').textContent()).toBe('helper says hi');
    expect(await child.getAttribute('aria-current')).toBe('true');
    await shot('run-tree');
    await go('Agents');
  });

  it('agent editor: the form rewrites the TOON, the TOON refills the form, a broken save shows the error at its line', async () => {
    await page.getByRole('link', { name: 'New agent' }).click();
    const code = page.locator('.cm-content');
    await code.waitFor({ timeout: SHOW });
    await page.getByLabel('Name', { exact: true }).fill('helper-bot');
    await expect.poll(() => code.textContent(), { timeout: SHOW }).toContain('name: helper-bot');

    await code.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.insertText('name: helper-bot\ndescription: Typed in the text\nsystem_prompt: Be brief.\nmodel: fast\ntools[1]: calculator\n');
    await expect.poll(() => page.getByLabel('Description').inputValue(), { timeout: SHOW }).toBe('Typed in the text');
    expect(await page.getByLabel('calculator').isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor({ timeout: SHOW });
    await shot('editor');

    await code.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.insertText('name: helper-bot\nsystem_prompt: Be brief.\nmax_tool_iterations: 500\n');
    await page.getByRole('button', { name: 'Save' }).click();
    const problems = page.getByTestId('diagnostics');
    await expect.poll(() => problems.textContent(), { timeout: SHOW }).toContain('3:1');
    expect(await problems.textContent()).toContain('max_tool_iterations');
    expect(await page.locator('.cm-error-line').count()).toBe(1);
    await shot('editor-error');
  });

  it('System shows a rejected hot reload with its file:line', async () => {
    await go('System');
    await page.getByTestId('reload-status').waitFor({ timeout: SHOW });
    home.writeFile('config/agents/router.toon', 'name: router\nmodel: fast\nmax_tool_iterations: 500\nsystem_prompt: "x"\n');
    const errors = page.getByTestId('reload-errors');
    await expect.poll(() => errors.textContent().catch(() => ''), { timeout: SHOW }).toContain('config/agents/router.toon:3:1');
    await shot('system');
  });

  it('Logs stream live and filter by text; pause freezes the view', async () => {
    await go('Logs');
    const lines = page.getByTestId('log-lines');
    await expect.poll(() => lines.locator('li').count(), { timeout: SHOW }).toBeGreaterThan(0);
    await page.getByLabel('Level').selectOption('error');
    await page.getByLabel('Text').fill('rejected');
    await expect.poll(() => lines.locator('li').count(), { timeout: SHOW }).toBeGreaterThan(0);
    for (const text of await lines.locator('li').allTextContents()) expect(text).toMatch(/error \[config\] config reload rejected.*router\.toon:3:1/);
    await page.getByLabel('Level').selectOption('info');
    await page.getByLabel('Text').fill('');
    await page.getByRole('button', { name: 'Pause' }).click();
    const frozen = await lines.locator('li').count();
    const before = (await configStatus()).reloads;
    home.writeFile('config/agents/router.toon', 'name: router\nmodel: fast\nsystem_prompt: "fixed"\n');
    await waitFor('the fixed router to be reloaded', async () => (await configStatus()).reloads > before, SHOW);
    expect(await lines.locator('li').count()).toBe(frozen);
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => lines.locator('li').count(), { timeout: SHOW }).toBeGreaterThan(frozen);
    await shot('logs');
  });

  it("chat with a workflow: the hand-over shows as it happens, then the answering agent's reply", async () => {
    fake.enqueue({ content: 'customer-support' }, { content: 'Your order ships tomorrow.', chunk_delay_ms: 20 });
    await go('Chat');
    await page.getByLabel('Agent').selectOption('workflow:default');
    await page.getByLabel('Message').fill('where is my order?');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByTestId('turn-usage').waitFor({ timeout: SHOW });
    expect(await page.getByTestId('handover').allTextContents()).toEqual([
      'router answers',
      'router hands over to customer-support',
      'customer-support answers',
    ]);
    expect(await page.getByTestId('assistant').textContent()).toBe('Your order ships tomorrow.');
    expect(await page.getByTestId('turn-usage').textContent()).toContain('· stop');
    await shot('chat-workflow');
  });

  it('approvals: a gated call waits with Approve/Reject, is listed as pending, and approving from the keyboard finishes the run', async () => {
    fake.enqueue({ tool_calls: [{ id: 'call_g1', name: 'calculator', arguments: '{"expression":"6*7"}' }] }, { content: 'It is 42.' });
    await page.getByLabel('Agent').selectOption('gated');
    await page.getByLabel('Message').fill('What is 6*7?');
    await page.getByRole('button', { name: 'Send' }).click();
    const card = page.getByTestId('approval');
    await card.waitFor({ timeout: SHOW });
    expect(await card.getByTestId('approval-call').textContent()).toBe('tool calculator {"expression":"6*7"}');
    await expect.poll(() => page.getByTestId('turn-usage').textContent(), { timeout: SHOW }).toContain('awaiting_approval');
    await expect
      .poll(
        () =>
          page
            .getByTestId('pending-count')
            .textContent()
            .catch(() => ''),
        { timeout: SHOW },
      )
      .toBe('1');
    await shot('chat-approval');

    await go('Runs');
    const pending = page.getByTestId('pending-list').getByRole('link');
    await expect.poll(() => pending.textContent().catch(() => ''), { timeout: SHOW }).toBe('gated: calculator');
    await shot('runs-pending');
    await pending.click();
    await card.waitFor({ timeout: SHOW });
    expect(await page.getByTestId('user').textContent()).toBe('What is 6*7?');
    await card.getByRole('button', { name: 'Approve' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(assistantText, { timeout: SHOW }).toBe('It is 42.');
    expect(await page.getByTestId('tool-call').textContent()).toContain('→ 42');
    expect(await card.getByTestId('approval-state').textContent()).toBe('approved');
    expect(await page.getByTestId('turn-usage').textContent()).toContain('· stop');
    await page.getByTestId('pending-count').waitFor({ state: 'detached', timeout: SHOW });
    await go('Runs');
    await page.getByTestId('pending-empty').waitFor({ timeout: SHOW });
  });

  it('approvals: rejecting tells the model the reason and the run ends in a stated state', async () => {
    fake.enqueue({ tool_calls: [{ id: 'call_g2', name: 'calculator', arguments: '{"expression":"1/0"}' }] }, { content: 'Understood, not computed.' });
    await go('Chat');
    await page.getByLabel('Agent').selectOption('gated');
    await page.getByLabel('Message').fill('What is 1/0?');
    await page.getByRole('button', { name: 'Send' }).click();
    const card = page.getByTestId('approval');
    await card.getByLabel('Reason').fill('not that one');
    await card.getByRole('button', { name: 'Reject' }).click();
    await expect.poll(assistantText, { timeout: SHOW }).toBe('Understood, not computed.');
    expect(await page.getByTestId('tool-call').textContent()).toMatch(/→ rejected by .*not that one/);
    expect(await card.getByTestId('approval-state').textContent()).toBe('rejected');
    expect(await page.getByTestId('turn-usage').last().textContent()).toContain('· stop');
    await shot('chat-rejected');
  });

  it('Memory: an added item is listed, found by keyword search with its score, and deleted; the admin re-embeds', async () => {
    const fact = 'The staging database runs on host pelican-7.';
    await go('Memory');
    const add = page.getByRole('form', { name: 'Add an item' });
    await add.getByLabel('Text').fill(fact);
    await add.getByRole('button', { name: 'Add' }).click();
    const listed = page.getByRole('table', { name: 'Memory items' }).locator('tr', { hasText: fact });
    await listed.waitFor({ timeout: SHOW });
    await expect.poll(() => page.getByTestId('memory-stats').locator('[data-stat="items"]').textContent(), { timeout: SHOW }).toBe('1');
    const search = page.getByRole('search');
    await search.getByLabel('Query').fill('pelican');
    await search.getByLabel('Mode').selectOption('keyword');
    await search.getByLabel('Query').press('Enter');
    const hit = page.getByRole('table', { name: 'Search results' }).locator('tr', { hasText: fact });
    await hit.waitFor({ timeout: SHOW });
    expect(Number(await hit.getByTestId('score').textContent())).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Re-embed' }).click();
    await page.getByText(/^Re-embedded \d+ items\.$/).waitFor({ timeout: SHOW });
    await shot('memory');
    page.once('dialog', (d) => void d.accept());
    await hit.getByRole('button', { name: /^Delete memory item/ }).click();
    await listed.waitFor({ state: 'detached', timeout: SHOW });
    await page.getByText('Nothing found.').waitFor({ timeout: SHOW });
    const left = await fetch(`${url}/api/memory`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(((await left.json()) as { items: unknown[] }).items).toEqual([]);
  });

  it('works from the keyboard, shows where the focus is, and shows the agents as cards in a narrow window', async () => {
    await go('Agents');
    await row('router').waitFor({ timeout: SHOW });
    // Tab from the top of the page to the Runs link. Browser expressions are strings: the tests are
    // type-checked without the DOM library.
    await page.evaluate('document.activeElement.blur()');
    for (let i = 0; i < 6 && (await page.evaluate('document.activeElement.textContent')) !== 'Runs'; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Runs');
    expect(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle')).not.toBe('none');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Runs' }).waitFor({ timeout: SHOW });
    await page.setViewportSize({ width: 390, height: 800 });
    await go('Agents');
    await row('router').waitFor({ timeout: SHOW });
    expect(await page.evaluate('document.documentElement.scrollWidth <= innerWidth')).toBe(true);
    const router = `document.querySelector('tr[data-agent="router"]')`;
    expect(await page.evaluate(`getComputedStyle(${router}).display`)).toBe('block');
    expect(await page.evaluate(`getComputedStyle(${router}.querySelector('[data-testid="hour"]'), '::before').content`)).toBe('"Last hour"');
    await shot('agents-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('after signing out, a non-admin sees no admin controls', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Caxton' }).waitFor({ timeout: SHOW });
    await signIn(USER);
    await row('router').waitFor({ timeout: SHOW });
    expect(await page.getByTestId('whoami').textContent()).not.toContain('admin');
    expect(await page.getByRole('button', { name: 'Stop' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Restart' }).count()).toBe(0);
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Logs' }).count()).toBe(0);
    await shot('agents-user');
    await go('Memory');
    await page.getByTestId('memory-stats').waitFor({ timeout: SHOW });
    expect(await page.getByRole('button', { name: 'Re-embed' }).count()).toBe(0);
  });
});

describe.skipIf(hasChromium)('web dashboard in Chromium', () => {
  it.skip(`skipped: ${CHROMIUM} is missing; install the Debian package "chromium"`, () => undefined);
});
