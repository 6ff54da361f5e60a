// Shared by the browser tests: what a page's Content-Security-Policy blocked.

/** Records every CSP violation in any frame of the context's pages, as the DOM reports
 * it, in `window.__cspViolations`. */
export async function recordCspViolations(context) {
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'}`);
    });
  });
}
