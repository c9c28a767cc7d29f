// The /embed page's entry: load the build for the page's mode (next to this file) and mount it on #legit.
const mode = (new URLSearchParams(location.search).get('mode') || '').trim().toLowerCase();
const widget = mode === 'agent' ? await import('./legit_agent.js') : await import('./legit_customer.js');
await widget.default();
widget.start_embed();
