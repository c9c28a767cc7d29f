// <legit-bankid tenant="…" mode="agent|customer" lang="sv|en|nb" mobnr="…" session="…" callid="…">
//
// Load with <script type="module" src="https://<edge>/legit.js"></script>. The widget renders into the
// element's shadow root, talks to the edge this file came from, and tells the page what happened with
// events on the element (they bubble and leave the shadow root): legit:started, legit:complete (detail:
// {orderId, resultToken}), legit:failed, legit:cancelled.
const base = new URL('.', import.meta.url);

// One build per mode, each loaded once, on first use.
const builds = {};
function build(mode) {
  const agent = (mode || '').trim().toLowerCase() === 'agent';
  const key = agent ? 'agent' : 'customer';
  builds[key] ||= (agent ? import('./widget/legit_agent.js') : import('./widget/legit_customer.js'))
    .then(async (widget) => {
      await widget.default();
      return widget;
    });
  return builds[key];
}

class LegitBankId extends HTMLElement {
  static observedAttributes = ['tenant', 'mode', 'lang', 'mobnr', 'session', 'callid'];

  connectedCallback() {
    if (this._mounted || this._mounting) return;
    const root = this.shadowRoot || this.attachShadow({ mode: 'open' });
    const style = document.createElement('link');
    style.rel = 'stylesheet';
    style.href = new URL('widget/legit.css', base).href;
    const box = document.createElement('div');
    root.replaceChildren(style, box);
    this._mounting = build(this.getAttribute('mode')).then((widget) => {
      this._mounting = null;
      if (this.isConnected && !this._mounted) {
        this._mounted = widget.mount_element(this, box, base.origin);
      }
    });
  }

  disconnectedCallback() {
    if (this._mounted) {
      this._mounted.unmount();
      this._mounted.free();
      this._mounted = null;
    }
  }

  attributeChangedCallback(_name, before, after) {
    if (this._mounted && before !== after) {
      this.disconnectedCallback();
      this.connectedCallback();
    }
  }
}

if (!customElements.get('legit-bankid')) {
  customElements.define('legit-bankid', LegitBankId);
}
