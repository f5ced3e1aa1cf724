// The web console in a real browser (Debian's headless Chromium driven by playwright-core): an
// operator signs in with their token, reads a rollout's waves, counts and progress, the failing
// devices (markup in an error shown as text), searches devices, and clicks through pause, resume
// and the emergency stop, each with its confirmation; the effect is checked through the operator
// API and the audit log. A viewer sees no action and a forged POST is refused; so is every POST
// without the session's CSRF token, and a confirmation that was not given.
// AIRLOCK_CONSOLE_SCREENSHOT=docs/console.png writes the rollout page's screenshot for the README.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { createOperatorToken } from "../tools/fleet/index.js";
import { scratchDirs } from "./helpers/cli-run.js";
import { FleetWorld, release, type TestDevice } from "./helpers/fleet-world.js";
import { requireSystemTool } from "./helpers/system-tool.js";

const CHROMIUM = "/usr/bin/chromium";
const available = requireSystemTool(CHROMIUM, "apt-get install chromium");
const dirs = scratchDirs("fleet-console");
const XSS_DETAILS = `<script>document.title="pwned"</script><b>flash write failed</b>`;
const XSS_HARDWARE = "<img src=x onerror=alert(1)>";

describe.skipIf(!available)("the web console in Chromium", () => {
  let world: FleetWorld;
  let browser: Browser;
  let alice: BrowserContext;
  let page: Page;
  let devices: TestDevice[];

  const consoleUrl = (path: string) => `${world.url}/console${path}`;
  const state = async (id: number) => (await world.show(id)).rollout.state as string;
  const count = (wave: string, key: string) => page.locator(`#waves tr[data-wave="${wave}"] td[data-count="${key}"]`).innerText();

  async function signIn(context: BrowserContext, who: string): Promise<Page> {
    const p = await context.newPage();
    await p.goto(consoleUrl("/rollouts/1"));
    expect(new URL(p.url()).pathname).toBe("/console/login");
    await p.fill('input[name="token"]', world.tokens[who]!);
    await p.click('button[type="submit"]');
    await p.waitForURL(/\/console\/rollouts$/);
    return p;
  }

  beforeAll(async () => {
    world = new FleetWorld(dirs.make());
    world.publishIndex("prod", [release(5)]);
    await world.start("sqlite");
    devices = await world.devices(20);
    const odd = world.device("odd-1", { hardwareId: XSS_HARDWARE });
    await odd.enroll();
    await world.rollout({ name: "thermostat v5", waves: [{ percent: 50 }, { percent: 100 }], policy: { errorPercent: 40 } });
    // Wave 1 is 10 devices: 5 install, one refuses (its details hold markup), one reverts, one is
    // downloading, two were given the release and have not begun.
    const actions = new Map<string, number>();
    for (const d of devices) {
      const id = await d.checkIn();
      if (id !== undefined) actions.set(d.id, id);
    }
    expect(actions.size).toBe(10);
    const [d0, d1, d2, d3, d4, d5, d6, d7] = [...actions.entries()];
    for (const [id, action] of [d0, d1, d2, d3, d4]) await devices.find((d) => d.id === id)!.install(action!);
    const refusing = devices.find((d) => d.id === d5![0])!;
    expect((await refusing.feedback(d5![1], { execution: "closed", result: { finished: "failure" }, details: [XSS_DETAILS], airlock: { outcome: "refused", error: "ERR_FLASH" } })).status).toBe(200);
    expect((await devices.find((d) => d.id === d6![0])!.revert(d6![1])).status).toBe(200);
    expect((await devices.find((d) => d.id === d7![0])!.feedback(d7![1], { execution: "download" })).status).toBe(200);
    // A second rollout for the refusal tests.
    world.publishIndex("prod", [release(6)]);
    await world.rollout({ name: "second" });

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
    alice = await browser.newContext({ viewport: { width: 1100, height: 820 } });
    page = await signIn(alice, "alice");
  });

  afterAll(async () => {
    await browser?.close();
    await world?.stop();
    dirs.cleanup();
  });

  it("signs in with an operator token into an HttpOnly, SameSite=Strict session cookie, and refuses a wrong token", async () => {
    const [cookie] = await alice.cookies();
    expect(cookie).toMatchObject({ name: "airlock_console", httpOnly: true, sameSite: "Strict", path: "/console" });
    expect(cookie!.value).not.toContain(world.tokens.alice!);
    const stranger = await browser.newContext();
    const p = await stranger.newPage();
    await p.goto(consoleUrl("/login"));
    await p.fill('input[name="token"]', "airlock_op_forged");
    await p.click('button[type="submit"]');
    await expect(p.locator('[role="alert"]').innerText()).resolves.toMatch(/not a valid operator token/);
    expect(await stranger.cookies()).toEqual([]);
    await stranger.close();
    const logins = (await world.api("victor", "GET", "/api/v1/audit?subject=operator/alice")).body.entries;
    expect(logins.map((e: { action: string }) => e.action)).toContain("console.login");
  });

  it("shows the rollout's waves with counts per state, a progress bar and the failing devices, markup as text", async () => {
    await page.click('a:text("thermostat v5")');
    await page.waitForURL(/\/console\/rollouts\/1$/);
    expect(await count("1", "planned")).toBe("10");
    expect(await count("1", "installed")).toBe("5");
    expect(await count("1", "failed")).toBe("1");
    expect(await count("1", "reverted")).toBe("1");
    expect(await count("1", "downloading")).toBe("1");
    expect(await count("1", "pending")).toBe("2");
    expect(await count("2", "notGiven")).toBe("10");
    expect(await count("total", "planned")).toBe("20");
    expect(await page.locator("#progress").getAttribute("data-installed-percent")).toBe("25");
    await expect(page.locator("#progress").innerText()).resolves.toContain("5 of 20 devices installed (25%)");
    expect(Number(await page.locator('#progress rect.installed').getAttribute("width").then((w) => w!.replace("%", "")))).toBeCloseTo(25, 1);
    const failing = page.locator("#failing");
    await expect(failing.innerText()).resolves.toContain(XSS_DETAILS);
    await expect(failing.innerText()).resolves.toContain("ERR_FLASH");
    await expect(failing.innerText()).resolves.toContain("reverted");
    expect(await page.locator("main script, main b").count()).toBe(0);
    expect(await page.title()).not.toBe("pwned");
    if (process.env.AIRLOCK_CONSOLE_SCREENSHOT) await page.screenshot({ path: process.env.AIRLOCK_CONSOLE_SCREENSHOT, fullPage: false });
  });

  it("lists releases by channel from the verified index", async () => {
    await page.click('nav a:text("Releases")');
    const prod = page.locator('section[data-channel="prod"]');
    await expect(prod.innerText()).resolves.toMatch(/index v2[\s\S]*thermostat[\s\S]*6/);
    await expect(page.locator('section[data-channel="dev"]').innerText()).resolves.toContain("nothing published");
  });

  it("searches devices, showing a hardware ID with markup as text", async () => {
    await page.click('nav a:text("Devices")');
    await page.fill('input[name="search"]', "d01");
    await page.click('button:text("Search")');
    await page.waitForURL(/search=d01/);
    const ids = await page.locator("#devices tbody tr td:first-child").allInnerTexts();
    expect(ids).toEqual(Array.from({ length: 10 }, (_, i) => `d01${i}`));
    await page.fill('input[name="search"]', "odd");
    await page.click('button:text("Search")');
    await page.waitForURL(/search=odd/);
    await expect(page.locator("#devices tbody").innerText()).resolves.toContain(XSS_HARDWARE);
    expect(await page.locator("#devices img").count()).toBe(0);
  });

  it("pauses and resumes through a confirmation, audited as the signed-in operator", async () => {
    await page.goto(consoleUrl("/rollouts/1"));
    await page.click('a:text("Pause…")');
    await page.waitForURL(/\/rollouts\/1\/pause$/);
    expect(await state(1)).toBe("running");
    await page.fill('input[name="reason"]', "checking the refusals");
    await page.click('button:text("Pause")');
    await page.waitForURL(/\/rollouts\/1\?done=pause$/);
    await expect(page.locator("h1 .state").innerText()).resolves.toBe("paused");
    expect(await state(1)).toBe("paused");
    await page.click('a:text("Resume…")');
    await page.click('button:text("Resume")');
    await page.waitForURL(/done=resume$/);
    expect(await state(1)).toBe("running");
    const entries = (await world.api("victor", "GET", "/api/v1/audit?subject=rollout/1&limit=2")).body.entries;
    expect(entries.map((e: { action: string; actor: string }) => `${e.actor} ${e.action}`)).toEqual(["alice rollout.resume", "alice rollout.pause"]);
    expect(entries[1].details).toMatchObject({ reason: "checking the refusals", from: "running" });
  });

  it("emergency-stops only after the rollout's number is typed, withdrawing devices that had not started", async () => {
    await page.click('a:text("Emergency stop…")');
    await page.waitForURL(/\/rollouts\/1\/stop$/);
    await page.fill('input[name="confirm"]', "2");
    await page.click('button:text("Emergency stop")');
    await expect(page.locator('[role="alert"]').innerText()).resolves.toMatch(/Type 1/);
    expect(await state(1)).toBe("running");
    await page.fill('input[name="confirm"]', "1");
    await page.fill('input[name="reason"]', "display stays dark");
    await page.click('button:text("Emergency stop")');
    await page.waitForURL(/done=stop$/);
    await expect(page.locator("h1 .state").innerText()).resolves.toBe("stopped");
    expect(await page.locator(".actions a").count()).toBe(0);
    const view = await world.show(1);
    expect(view.rollout).toMatchObject({ state: "stopped", stateReason: "display stays dark" });
    expect(view.totals).toMatchObject({ cancelled: 3, installed: 5, assigned: 0, downloading: 0 });
    expect(await count("1", "cancelled")).toBe("3");
    const [stop] = (await world.api("victor", "GET", "/api/v1/audit?subject=rollout/1&limit=1")).body.entries;
    expect(stop).toMatchObject({ actor: "alice", action: "rollout.stop", details: { withdrawn: 3, reason: "display stays dark" } });
  });

  it("refuses a POST without the session's CSRF token, with another session's, or without its confirmation, and changes nothing", async () => {
    const csrf = await page.locator('input[name="csrf"]').first().getAttribute("value");
    const other = await browser.newContext();
    const otherPage = await signIn(other, "alice");
    const otherCsrf = await otherPage.locator('input[name="csrf"]').first().getAttribute("value");
    expect(otherCsrf).not.toBe(csrf);
    const post = (form: Record<string, string>, verb = "pause") => alice.request.post(consoleUrl(`/rollouts/2/${verb}`), { form, maxRedirects: 0 });
    const forms: Record<string, string>[] = [{ confirm: "pause" }, { confirm: "pause", csrf: "forged" }, { confirm: "pause", csrf: otherCsrf! }, { confirm: "pause", csrf: csrf!.slice(0, -1) }];
    for (const form of forms) {
      const res = await post(form);
      expect(res.status(), JSON.stringify(form)).toBe(403);
      expect(await res.text()).toContain("CSRF");
    }
    expect((await post({ csrf: csrf! })).status()).toBe(400);
    expect((await post({ csrf: csrf!, confirm: "pause" }, "stop")).status()).toBe(400);
    expect(await state(2)).toBe("running");
    // Without a session (even with a CSRF token that once was one's) a POST is refused, not redirected.
    await other.clearCookies();
    expect((await other.request.post(consoleUrl("/rollouts/2/pause"), { form: { confirm: "pause", csrf: otherCsrf! }, maxRedirects: 0 })).status()).toBe(401);
    expect(await state(2)).toBe("running");
    // With its token the same request works: the refusals above were the checks'.
    expect((await post({ csrf: csrf!, confirm: "pause" })).status()).toBe(303);
    expect(await state(2)).toBe("paused");
    await other.close();
  });

  it("shows a viewer no action and refuses a viewer's forged POST, with its own valid CSRF token", async () => {
    const viewer = await browser.newContext();
    const p = await signIn(viewer, "victor");
    await p.goto(consoleUrl("/rollouts/2"));
    await expect(p.locator("h1 .state").innerText()).resolves.toBe("paused");
    expect(await p.locator(".actions").count()).toBe(0);
    expect((await viewer.request.get(consoleUrl("/rollouts/2/resume"), { maxRedirects: 0 })).status()).toBe(403);
    const csrf = await p.locator('input[name="csrf"]').first().getAttribute("value");
    const res = await viewer.request.post(consoleUrl("/rollouts/2/resume"), { form: { csrf: csrf!, confirm: "resume" }, maxRedirects: 0 });
    expect(res.status()).toBe(403);
    expect(await res.text()).toContain("viewer role");
    expect(await state(2)).toBe("paused");
    await viewer.close();
  });

  it("ends a session at sign-out and when the operator's token is replaced", async () => {
    const second = await browser.newContext();
    const p = await signIn(second, "alice");
    await p.click('button:text("Sign out")');
    await p.waitForURL(/\/console\/login$/);
    await p.goto(consoleUrl("/rollouts"));
    expect(new URL(p.url()).pathname).toBe("/console/login");
    await second.close();
    // alice's first session outlives nothing: a new token for alice ends it.
    expect((await alice.request.get(consoleUrl("/rollouts"), { maxRedirects: 0 })).status()).toBe(200);
    world.tokens.alice = (await createOperatorToken(world.driver, world.clock, "test", "alice", "operator")).token;
    const after = await alice.request.get(consoleUrl("/rollouts"), { maxRedirects: 0 });
    expect(after.status()).toBe(303);
    expect(after.headers().location).toBe("/console/login");
  });
});
