use legit_core::qr_symbol::QrSymbol;
use leptos::prelude::*;

use crate::app::Ctx;
use crate::i18n::Text;

/// The animated QR code: the payload the edge pushes each second, drawn as SVG in the browser. The box keeps
/// its size while the first frame is on its way, so nothing below it moves.
#[component]
pub fn QrCode(
    /// The instance's context.
    ctx: Ctx,
    /// The current `bankid.…` content, `None` before the first frame.
    payload: Signal<Option<String>>,
) -> impl IntoView {
    let svg = Memo::new(move |_| payload.get().and_then(|p| qr_svg(&p)));
    view! {
        <div
            class="qr"
            role="img"
            aria-label=ctx.tr(Text::QrLabel)
            data-payload=move || payload.get().unwrap_or_default()
            inner_html=move || svg.get().unwrap_or_default()
        ></div>
    }
}

/// `payload` as an SVG document: black on white with the 4-module quiet zone, whatever the theme (scanners
/// need the contrast), scaled by CSS. The symbol is core's (byte mode, level M, smallest version); the dark
/// modules of each row are drawn as runs in one path.
pub fn qr_svg(payload: &str) -> Option<String> {
    const QUIET: usize = 4;
    let symbol = QrSymbol::encode(payload.as_bytes()).ok()?;
    let width = symbol.size();
    let size = width + 2 * QUIET;
    let mut path = String::new();
    for (y, row) in symbol.rows().enumerate() {
        let mut x = 0;
        while x < width {
            if row[x] {
                let start = x;
                while x < width && row[x] {
                    x += 1;
                }
                let run = x - start;
                path.push_str(&format!("M{} {}h{run}v1h-{run}z", start + QUIET, y + QUIET));
            } else {
                x += 1;
            }
        }
    }
    Some(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" shape-rendering="crispEdges"><path fill="#fff" d="M0 0h{size}v{size}H0z"/><path fill="#000" d="{path}"/></svg>"##
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_bankid_payload_becomes_an_svg_without_style_attributes() {
        let payload = "bankid.67df3917-fa0d-44e5-b327-edcc928297f8.1.949d559bf23403952a94d103e67743126381eda00f0b3cbddbf7c96b1adcbce2";
        let svg = qr_svg(payload).unwrap_or_default();
        assert!(svg.starts_with("<svg"), "{svg}");
        // 110 bytes: version 7, 45 modules a side, plus 4 of quiet zone each side.
        assert!(svg.contains(r#"viewBox="0 0 53 53""#), "{svg}");
        assert!(svg.contains("<path"));
        assert!(
            !svg.contains("style="),
            "the page's CSP refuses inline styles"
        );
        assert_ne!(qr_svg("bankid.a.2.b"), qr_svg("bankid.a.3.b"));
    }
}
