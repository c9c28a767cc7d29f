//! The widget's root: the shared context ([`Ctx`]) and [`App`], which picks the agent console or the
//! customer flow.

use leptos::prelude::*;

use crate::api::Api;
#[cfg(feature = "agent")]
use crate::components::agent::AgentConsole;
#[cfg(feature = "customer")]
use crate::components::customer::CustomerFlow;
use crate::components::footer::Footer;
use crate::config::{EmbedConfig, Mode, Params};
use crate::host::Host;
use crate::i18n::{self, Lang, Say as _, Text};
use crate::launch::Platform;

/// Everything a widget instance knows about where it runs, before it renders.
pub struct Settings {
    pub params: Params,
    pub config: EmbedConfig,
    /// The edge's origin; empty for the page's own.
    pub api_base: String,
    pub host: Host,
    pub platform: Platform,
    pub in_iframe: bool,
    /// `navigator.languages`.
    pub browser_langs: Vec<String>,
    /// How the app is opened on this device (set to a recorder in tests).
    pub open_app: fn(&str),
}

/// What every component needs; `Copy`, passed as a prop.
#[derive(Clone, Copy)]
pub struct Ctx {
    pub lang: RwSignal<Lang>,
    pub mode: Mode,
    pub api: StoredValue<Api>,
    pub host: StoredValue<Host, LocalStorage>,
    pub platform: Platform,
    pub in_iframe: bool,
    /// The caller's number from `?mobnr=`, to prefill the link form.
    pub mobnr: StoredValue<Option<String>>,
    /// The IVR call from `?callid=`, whose order the agent view follows.
    pub callid: StoredValue<Option<String>>,
    pub open_app: fn(&str),
    tenant: StoredValue<String>,
    /// On a verification link's page, the order this browser already started from it (its cookie).
    pub link_order: StoredValue<Option<crate::flow::Order>>,
    /// On a verification link's page, who sent it: the tenant's name from the edge, not from the URL.
    pub link_sender: StoredValue<Option<String>>,
}

impl Ctx {
    pub fn new(settings: Settings) -> Ctx {
        let Settings {
            params,
            config,
            api_base,
            host,
            platform,
            in_iframe,
            browser_langs,
            open_app,
        } = settings;
        let lang = i18n::pick(
            params.lang.as_deref(),
            config.locale.as_deref(),
            &browser_langs,
        );
        let tenant = params.tenant.or(config.tenant);
        let link_sender = config.link.as_ref().and(config.display_name);
        let link_order = config.link.as_ref().and_then(|l| {
            Some(crate::flow::Order {
                id: l.order_id.clone()?,
                kind: legit_core::api::OrderKind::Auth,
                token: l.order_token.clone(),
                auto_start_token: l.auto_start_token.clone(),
            })
        });
        Ctx {
            lang: RwSignal::new(lang),
            mode: params.mode,
            api: StoredValue::new(Api {
                base: api_base.trim_end_matches('/').to_owned(),
                tenant: tenant.clone(),
                session: params.session,
                link_token: config.link.map(|l| l.token),
            }),
            host: StoredValue::new_local(host),
            platform,
            in_iframe,
            mobnr: StoredValue::new(params.mobnr),
            callid: StoredValue::new(params.callid),
            open_app,
            tenant: StoredValue::new(tenant.unwrap_or_default()),
            link_order: StoredValue::new(link_order),
            link_sender: StoredValue::new(link_sender),
        }
    }

    /// A reactive text in the current language.
    pub fn tr(self, text: Text) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
        move || self.lang.get().t(text)
    }

    /// The current language's text, read once (for attributes built in handlers).
    pub fn t(self, text: Text) -> &'static str {
        self.lang.get_untracked().t(text)
    }

    pub fn has_tenant(self) -> bool {
        self.tenant.with_value(|t| !t.is_empty())
    }

    /// Session-storage key of the running order of `kind` for this tenant.
    pub fn storage_key(self, kind: legit_core::api::OrderKind) -> String {
        self.tenant
            .with_value(|t| format!("legit:order:{t}:{}", kind.as_str()))
    }
}

/// The widget.
#[component]
pub fn App(
    /// The instance's context.
    ctx: Ctx,
) -> impl IntoView {
    let body = if !ctx.has_tenant() {
        view! { <p class="notice error" role="alert">{ctx.tr(Text::NotConfigured)}</p> }.into_any()
    } else {
        match ctx.mode {
            #[cfg(feature = "agent")]
            Mode::Agent => view! { <AgentConsole ctx=ctx /> }.into_any(),
            #[cfg(feature = "customer")]
            Mode::Customer => view! { <CustomerFlow ctx=ctx /> }.into_any(),
            // The loader picks the build for the mode; this build lacks the other one.
            #[allow(unreachable_patterns)]
            _ => view! { <p class="notice error" role="alert">{ctx.tr(Text::NotConfigured)}</p> }
                .into_any(),
        }
    };
    view! {
        <div class="legit" lang=move || ctx.lang.get().tag()>
            {body}
            <Footer ctx=ctx />
        </div>
    }
}
