// The llcp-hub walkthrough through openapi-fetch, typed by the `paths` that
// openapi-typescript generates from openapi/openapi.json (generated/schema.d.ts).
//
// Signs in as an admin, creates an upcoming event, publishes it, registers an attendee
// (public, no token), finds the event in the public listing, and reads the registration
// back with its manage token and through the admin list; each step is checked and printed.
// Environment: HUB_URL, ADMIN_EMAIL, ADMIN_PASSWORD.

import { randomUUID } from "node:crypto";
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/schema.js";

type Schemas = components["schemas"];

class StepFailed extends Error {}

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new StepFailed(`${name} is not set`);
  return value;
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new StepFailed(message);
}

/** The body of a call that must have answered `status`, else a step failure. */
function expect<T>(
  what: string,
  result: { data?: T; error?: unknown; response: Response },
  status: number,
): T {
  const { data, error, response } = result;
  if (response.status !== status || data === undefined) {
    throw new StepFailed(`${what}: expected ${status}, got ${response.status}: ${JSON.stringify(error ?? data)}`);
  }
  return data;
}

function isRegistrationList(body: Schemas["RegistrationList"] | string): body is Schemas["RegistrationList"] {
  return typeof body !== "string";
}

async function main(): Promise<void> {
  const baseUrl = env("HUB_URL");
  const run = randomUUID().slice(0, 8);
  const publicApi = createClient<paths>({ baseUrl });

  let step = "create_token";
  try {
    const pair: Schemas["TokenPair"] = expect(
      step,
      await publicApi.POST("/api/v1/auth/token", {
        body: { email: env("ADMIN_EMAIL"), password: env("ADMIN_PASSWORD") },
      }),
      200,
    );
    check(pair.token_type.toLowerCase() === "bearer" && pair.expires_in > 0, `odd token pair ${pair.token_type}`);
    console.log(`[ts] ${step}: signed in as ${env("ADMIN_EMAIL")} (token expires in ${pair.expires_in}s)`);
    const admin = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${pair.access_token}` } });

    step = "create_event";
    const starts = new Date(Date.now() + 45 * 86_400_000);
    starts.setUTCHours(13, 0, 0, 0);
    const ends = new Date(starts.getTime() + 4 * 3_600_000);
    const title = `Generated TypeScript client check ${run}`;
    const input: Schemas["EventInput"] = {
      title,
      kind: "workshop",
      starts_at: starts.toISOString(),
      ends_at: ends.toISOString(),
      summary: "Created by examples/typescript-client/demo.ts",
      venue: { name: "Swiss Cottage Library", address: "88 Avenue Road, London", postcode: "NW3 3HA" },
      audience: ["officers"],
      capacity: 30,
    };
    const event: Schemas["AdminEvent"] = expect(step, await admin.POST("/api/v1/admin/events", { body: input }), 201);
    check(event.title === title && event.published_at == null, `unexpected draft ${JSON.stringify(event)}`);
    check(Date.parse(event.starts_at) === starts.getTime(), `starts_at ${event.starts_at} != ${starts.toISOString()}`);
    console.log(`[ts] ${step}: draft #${event.id} '${event.slug}' starting ${event.starts_at}`);

    step = "publish_event";
    const published = expect(
      step,
      await admin.POST("/api/v1/admin/events/{id}/publish", { params: { path: { id: event.id } } }),
      200,
    );
    check(published.id === event.id && typeof published.published_at === "string", "not published");
    // Whether people can register now, as the listing shows it.
    check(published.registration.state === "open", `registration state ${published.registration.state}`);
    console.log(`[ts] ${step}: #${published.id} published at ${published.published_at}, registration ${published.registration.state}`);

    step = "create_registration";
    const key = randomUUID();
    const request: Schemas["RegistrationRequest"] = {
      full_name: "Ada Lovelace",
      email: `ada+${run}@camden.gov.uk`,
      organisation: "London Borough of Camden",
      borough: "Camden",
      consent: true,
    };
    const register = async () =>
      publicApi.POST("/api/v1/events/{id_or_slug}/registrations", {
        params: { path: { id_or_slug: event.slug }, header: { "Idempotency-Key": key } },
        body: request,
      });
    const created: Schemas["RegistrationCreated"] = expect(step, await register(), 201);
    check(created.event_id === event.id && created.status === "confirmed", `unexpected registration ${created.status}`);
    check(created.manage_token.length > 0, "no manage_token in the 201");
    console.log(`[ts] ${step}: ${created.id} ${created.status} (Idempotency-Key ${key})`);

    step = "create_registration (retry)";
    const again = expect(step, await register(), 201);
    check(again.id === created.id, `a retry with the same Idempotency-Key made a new registration ${again.id}`);
    console.log(`[ts] ${step}: same Idempotency-Key gave back ${again.id}`);

    step = "list_events";
    const listing: Schemas["EventList"] = expect(
      step,
      await publicApi.GET("/api/v1/events", { params: { query: { q: run } } }),
      200,
    );
    const found = listing.items.filter((e) => e.id === event.id);
    check(found.length === 1, `event #${event.id} not listed for q=${run}: ${listing.items.map((e) => e.id).join(",")}`);
    check(found[0]?.title === title, `listed title ${found[0]?.title}`);
    console.log(`[ts] ${step}: found #${event.id} among ${listing.total} event(s) matching '${run}'`);

    step = "get_registration";
    const mine: Schemas["Registration"] = expect(
      step,
      await publicApi.GET("/api/v1/registrations/{id}", {
        params: { path: { id: created.id }, header: { "X-Manage-Token": created.manage_token } },
      }),
      200,
    );
    check(mine.id === created.id && mine.email === request.email, `read back ${mine.id} ${mine.email}`);
    console.log(`[ts] ${step}: read ${mine.id} back with its manage token (${mine.status})`);

    step = "get_registration (wrong token)";
    const denied = await publicApi.GET("/api/v1/registrations/{id}", {
      params: { path: { id: created.id }, header: { "X-Manage-Token": "not-the-token" } },
    });
    check(denied.response.status === 404 && denied.error !== undefined, `expected 404, got ${denied.response.status}`);
    const problem: Schemas["Problem"] = denied.error;
    console.log(`[ts] ${step}: ${problem.status} ${problem.type}`);

    step = "list_event_registrations";
    const body = expect(
      step,
      await admin.GET("/api/v1/admin/events/{id}/registrations", { params: { path: { id: event.id } } }),
      200,
    );
    check(isRegistrationList(body), "expected the JSON page, got CSV");
    const rows = body.items.filter((r) => r.id === created.id);
    check(body.total === 1 && rows.length === 1, `admin list: total=${body.total}`);
    check(rows[0]?.full_name === request.full_name, `admin row ${JSON.stringify(rows[0])}`);
    console.log(`[ts] ${step}: admin sees ${body.total} registration(s), including ${created.id}`);
  } catch (error) {
    console.error(`[ts] FAILED at ${step}: ${error instanceof StepFailed ? error.message : String(error)}`);
    if (!(error instanceof StepFailed) && error instanceof Error) console.error(error.stack);
    process.exitCode = 1;
    return;
  }
  console.log("[ts] all steps passed");
}

await main();
