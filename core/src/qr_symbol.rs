//! The QR symbol (ISO/IEC 18004) for a payload: which modules are dark.
//!
//! The widget draws each animated-QR frame (see [`crate::qr`]) in the browser, one a second, so this runs
//! there. It does only what a BankID payload needs: byte mode, error correction level M (about 15 % of the
//! symbol may be unreadable: glare, moiré), the smallest version that fits, and the mask with the lowest
//! penalty. The general-purpose
//! `qrcode` crate (segment optimisation, every level and mode, renderers) cost the customer page 12.0 KB gzip;
//! this module and the widget's SVG drawing cost 4.8 KB.

use thiserror::Error;

/// What [`QrSymbol::encode`] refuses.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QrSymbolError {
    #[error("{len} bytes do not fit a QR code at error correction level M (at most {MAX_BYTES})")]
    TooLong { len: usize },
}

/// The most bytes a version-40 symbol holds at level M.
pub const MAX_BYTES: usize = 2331;

/// A square of modules, `size` × `size`, without the quiet zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrSymbol {
    version: u8,
    size: usize,
    mask: u8,
    dark: Vec<bool>,
}

/// Error-correction codewords per block at level M, by version (index 0 unused).
const ECC_PER_BLOCK: [u8; 41] = [
    0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28,
    28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
];

/// Error-correction blocks at level M, by version (index 0 unused).
const BLOCKS: [u8; 41] = [
    0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23,
    25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49,
];

impl QrSymbol {
    /// `data` in byte mode at level M, in the smallest version that holds it.
    pub fn encode(data: &[u8]) -> Result<QrSymbol, QrSymbolError> {
        let mut grid = unmasked(data)?;
        // Lowest penalty wins; a tie goes to the lower mask number.
        let mask = (0..8u8)
            .min_by_key(|&mask| {
                grid.apply_mask(mask);
                grid.draw_format(mask);
                let penalty = grid.penalty();
                grid.apply_mask(mask);
                penalty
            })
            .unwrap_or(0);
        Ok(masked(grid, mask))
    }

    /// 1–40.
    pub fn version(&self) -> u8 {
        self.version
    }

    /// Modules per side: 17 + 4 × version.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The mask pattern chosen, 0–7.
    pub fn mask(&self) -> u8 {
        self.mask
    }

    /// Whether the module at column `x`, row `y` is dark; outside the symbol it is light (the quiet zone).
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.size && y < self.size && self.dark[y * self.size + x]
    }

    /// The rows, top to bottom.
    pub fn rows(&self) -> impl Iterator<Item = &[bool]> {
        self.dark.chunks(self.size)
    }
}

/// The symbol for `data` before masking: function patterns and the codewords in place.
fn unmasked(data: &[u8]) -> Result<Grid, QrSymbolError> {
    let version = (1..=40u8)
        .find(|&v| 4 + count_bits(v) + 8 * data.len() <= 8 * data_codewords(v))
        .ok_or(QrSymbolError::TooLong { len: data.len() })?;
    let codewords = add_ecc(&data_codewords_for(data, version), version);
    let mut grid = Grid::new(version);
    grid.draw_function_patterns();
    grid.draw_codewords(&codewords);
    Ok(grid)
}

fn masked(mut grid: Grid, mask: u8) -> QrSymbol {
    grid.apply_mask(mask);
    grid.draw_format(mask);
    QrSymbol {
        version: grid.version,
        size: grid.size,
        mask,
        dark: grid.dark,
    }
}

/// Bits of the character count in byte mode.
fn count_bits(version: u8) -> usize {
    if version < 10 { 8 } else { 16 }
}

/// Modules left for data and error correction once the function patterns are drawn.
fn raw_data_modules(version: u8) -> usize {
    let v = usize::from(version);
    let mut modules = (16 * v + 128) * v + 64;
    if v >= 2 {
        let align = v / 7 + 2;
        modules -= (25 * align - 10) * align - 55;
        if v >= 7 {
            modules -= 36;
        }
    }
    modules
}

fn data_codewords(version: u8) -> usize {
    let v = usize::from(version);
    raw_data_modules(version) / 8 - usize::from(ECC_PER_BLOCK[v]) * usize::from(BLOCKS[v])
}

/// Mode, count, the bytes, the terminator and the padding, as codewords.
fn data_codewords_for(data: &[u8], version: u8) -> Vec<u8> {
    let capacity = data_codewords(version);
    let mut bits = BitBuffer::default();
    bits.push(0b0100, 4);
    // `unmasked` chose a version whose count field holds `data.len()`.
    bits.push(u32::try_from(data.len()).unwrap_or(0), count_bits(version));
    for &byte in data {
        bits.push(u32::from(byte), 8);
    }
    let terminator = (8 * capacity - bits.len).min(4);
    bits.push(0, terminator);
    bits.push(0, (8 - bits.len % 8) % 8);
    let mut bytes = bits.bytes;
    for pad in [0xEC, 0x11].into_iter().cycle() {
        if bytes.len() >= capacity {
            break;
        }
        bytes.push(pad);
    }
    bytes
}

#[derive(Default)]
struct BitBuffer {
    bytes: Vec<u8>,
    len: usize,
}

impl BitBuffer {
    /// The low `count` bits of `value`, most significant first.
    fn push(&mut self, value: u32, count: usize) {
        for i in (0..count).rev() {
            if self.len % 8 == 0 {
                self.bytes.push(0);
            }
            if (value >> i) & 1 == 1
                && let Some(last) = self.bytes.last_mut()
            {
                *last |= 0x80 >> (self.len % 8);
            }
            self.len += 1;
        }
    }
}

/// Splits `data` into the version's blocks, appends each block's Reed–Solomon codewords and interleaves.
fn add_ecc(data: &[u8], version: u8) -> Vec<u8> {
    let v = usize::from(version);
    let blocks = usize::from(BLOCKS[v]);
    let ecc_len = usize::from(ECC_PER_BLOCK[v]);
    let raw = raw_data_modules(version) / 8;
    let short_blocks = blocks - raw % blocks;
    let short_len = raw / blocks;
    let divisor = rs_divisor(ecc_len);
    let mut split = Vec::with_capacity(blocks);
    let mut start = 0;
    for i in 0..blocks {
        let len = short_len - ecc_len + usize::from(i >= short_blocks);
        let block = &data[start..start + len];
        start += len;
        split.push((block, rs_remainder(block, &divisor)));
    }
    let mut out = Vec::with_capacity(raw);
    for i in 0..=short_len - ecc_len {
        for (block, _) in &split {
            if let Some(&byte) = block.get(i) {
                out.push(byte);
            }
        }
    }
    for i in 0..ecc_len {
        for (_, ecc) in &split {
            out.push(ecc[i]);
        }
    }
    out
}

/// Product in GF(2⁸) modulo x⁸ + x⁴ + x³ + x² + 1.
fn gf_mul(x: u8, y: u8) -> u8 {
    let mut z: u16 = 0;
    for i in (0..8).rev() {
        z = (z << 1) ^ ((z >> 7) * 0x11D);
        z ^= u16::from((y >> i) & 1) * u16::from(x);
    }
    // Reduced modulo the field polynomial, so it fits.
    (z & 0xFF) as u8
}

/// The generator polynomial of `degree`, highest coefficient (1) left out.
fn rs_divisor(degree: usize) -> Vec<u8> {
    let mut result = vec![0; degree];
    if let Some(last) = result.last_mut() {
        *last = 1;
    }
    let mut root = 1;
    for _ in 0..degree {
        for j in 0..degree {
            result[j] = gf_mul(result[j], root);
            if j + 1 < degree {
                result[j] ^= result[j + 1];
            }
        }
        root = gf_mul(root, 0x02);
    }
    result
}

fn rs_remainder(data: &[u8], divisor: &[u8]) -> Vec<u8> {
    let mut result = vec![0; divisor.len()];
    for &byte in data {
        let factor = byte ^ result.first().copied().unwrap_or(0);
        result.rotate_left(1);
        if let Some(last) = result.last_mut() {
            *last = 0;
        }
        for (r, &d) in result.iter_mut().zip(divisor) {
            *r ^= gf_mul(d, factor);
        }
    }
    result
}

/// The symbol being built: modules, and which of them are function patterns (never masked).
struct Grid {
    version: u8,
    size: usize,
    dark: Vec<bool>,
    function: Vec<bool>,
}

impl Grid {
    fn new(version: u8) -> Grid {
        let size = 17 + 4 * usize::from(version);
        Grid {
            version,
            size,
            dark: vec![false; size * size],
            function: vec![false; size * size],
        }
    }

    fn set_function(&mut self, x: usize, y: usize, dark: bool) {
        let i = y * self.size + x;
        self.dark[i] = dark;
        self.function[i] = true;
    }

    fn draw_function_patterns(&mut self) {
        let size = self.size;
        for i in 0..size {
            self.set_function(6, i, i % 2 == 0);
            self.set_function(i, 6, i % 2 == 0);
        }
        for (x, y) in [(3, 3), (size - 4, 3), (3, size - 4)] {
            self.draw_finder(x, y);
        }
        let centres = alignment_centres(self.version);
        let last = centres.len().saturating_sub(1);
        for (i, &y) in centres.iter().enumerate() {
            for (j, &x) in centres.iter().enumerate() {
                // Not where the finders are.
                if (i, j) != (0, 0) && (i, j) != (0, last) && (i, j) != (last, 0) {
                    self.draw_alignment(x, y);
                }
            }
        }
        // Reserve the format modules; the real bits come with the mask.
        self.draw_format(0);
        self.draw_version();
    }

    /// The 7×7 finder and its light separator, clipped at the edges.
    fn draw_finder(&mut self, x: usize, y: usize) {
        for dy in -4..=4_isize {
            for dx in -4..=4_isize {
                let (Some(xx), Some(yy)) = (x.checked_add_signed(dx), y.checked_add_signed(dy))
                else {
                    continue;
                };
                if xx < self.size && yy < self.size {
                    let ring = dx.abs().max(dy.abs());
                    self.set_function(xx, yy, ring != 2 && ring != 4);
                }
            }
        }
    }

    fn draw_alignment(&mut self, x: usize, y: usize) {
        for dy in 0..5_usize {
            for dx in 0..5_usize {
                let ring = dx.abs_diff(2).max(dy.abs_diff(2));
                self.set_function(x + dx - 2, y + dy - 2, ring != 1);
            }
        }
    }

    /// Level M's two bits (00) and `mask`, BCH-protected, in both copies, plus the dark module.
    fn draw_format(&mut self, mask: u8) {
        let bits = format_bits(mask);
        let bit = |i: usize| (bits >> i) & 1 == 1;
        let size = self.size;
        for i in 0..6 {
            self.set_function(8, i, bit(i));
        }
        self.set_function(8, 7, bit(6));
        self.set_function(8, 8, bit(7));
        self.set_function(7, 8, bit(8));
        for i in 9..15 {
            self.set_function(14 - i, 8, bit(i));
        }
        for i in 0..8 {
            self.set_function(size - 1 - i, 8, bit(i));
        }
        for i in 8..15 {
            self.set_function(8, size - 15 + i, bit(i));
        }
        self.set_function(8, size - 8, true);
    }

    /// From version 7 on: the version number, BCH-protected, in two 6×3 blocks.
    fn draw_version(&mut self) {
        if self.version < 7 {
            return;
        }
        let bits = version_bits(self.version);
        for i in 0..18 {
            let dark = (bits >> i) & 1 == 1;
            let a = self.size - 11 + i % 3;
            let b = i / 3;
            self.set_function(a, b, dark);
            self.set_function(b, a, dark);
        }
    }

    /// The codewords' bits in the zig-zag of two-module columns, right to left, skipping function modules.
    fn draw_codewords(&mut self, codewords: &[u8]) {
        let size = self.size;
        let total = codewords.len() * 8;
        let mut i = 0;
        let mut right = size - 1;
        loop {
            if right == 6 {
                right = 5;
            }
            for vert in 0..size {
                for j in 0..2 {
                    let x = right - j;
                    let upward = (right + 1) & 2 == 0;
                    let y = if upward { size - 1 - vert } else { vert };
                    let at = y * size + x;
                    if !self.function[at] && i < total {
                        self.dark[at] = (codewords[i / 8] >> (7 - i % 8)) & 1 == 1;
                        i += 1;
                    }
                }
            }
            if right < 2 {
                break;
            }
            right -= 2;
        }
    }

    /// XORs `mask` over the data modules; applying it twice undoes it.
    fn apply_mask(&mut self, mask: u8) {
        let size = self.size;
        for y in 0..size {
            for x in 0..size {
                let flip = match mask {
                    0 => (x + y) % 2 == 0,
                    1 => y % 2 == 0,
                    2 => x % 3 == 0,
                    3 => (x + y) % 3 == 0,
                    4 => (x / 3 + y / 2) % 2 == 0,
                    5 => x * y % 2 + x * y % 3 == 0,
                    6 => (x * y % 2 + x * y % 3) % 2 == 0,
                    _ => ((x + y) % 2 + x * y % 3) % 2 == 0,
                };
                let at = y * size + x;
                if flip && !self.function[at] {
                    self.dark[at] = !self.dark[at];
                }
            }
        }
    }

    /// ISO/IEC 18004 §7.8.3: runs of five or more, 2×2 blocks, finder-like patterns, dark/light balance.
    fn penalty(&self) -> usize {
        let size = self.size;
        let at = |x: usize, y: usize| self.dark[y * size + x];
        let mut penalty = 0;
        for line in 0..size {
            penalty += line_penalty(size, |i| at(i, line));
            penalty += line_penalty(size, |i| at(line, i));
        }
        for y in 0..size - 1 {
            for x in 0..size - 1 {
                let c = at(x, y);
                if c == at(x + 1, y) && c == at(x, y + 1) && c == at(x + 1, y + 1) {
                    penalty += 3;
                }
            }
        }
        let total = size * size;
        let dark = self.dark.iter().filter(|&&d| d).count();
        // Whole steps of 5 % away from half dark, rounded up, less one (never exactly half: `total` is odd).
        let k = (dark * 20)
            .abs_diff(total * 10)
            .div_ceil(total)
            .saturating_sub(1);
        penalty + k * 10
    }
}

/// The 15 format bits for level M (00) and `mask`: BCH(15,5), then XOR 101010000010010.
fn format_bits(mask: u8) -> u32 {
    let data = u32::from(mask);
    let mut rem = data;
    for _ in 0..10 {
        rem = (rem << 1) ^ ((rem >> 9) * 0x537);
    }
    ((data << 10) | rem) ^ 0x5412
}

/// The 18 version bits: BCH(18,6).
fn version_bits(version: u8) -> u32 {
    let data = u32::from(version);
    let mut rem = data;
    for _ in 0..12 {
        rem = (rem << 1) ^ ((rem >> 11) * 0x1F25);
    }
    (data << 12) | rem
}

/// Penalties along one row or column: 3 for a run of five, one more per module beyond; 40 per finder-like
/// 1:1:3:1:1 pattern with four light modules (the quiet zone counts) on one side.
fn line_penalty(size: usize, dark: impl Fn(usize) -> bool) -> usize {
    let mut penalty = 0;
    let mut color = false;
    let mut run = 0;
    let mut history = RunHistory { size, runs: [0; 7] };
    for i in 0..size {
        if dark(i) == color {
            run += 1;
            if run == 5 {
                penalty += 3;
            } else if run > 5 {
                penalty += 1;
            }
        } else {
            history.add(run);
            if !color {
                penalty += history.finder_like() * 40;
            }
            color = dark(i);
            run = 1;
        }
    }
    if color {
        history.add(run);
        run = 0;
    }
    history.add(run + size);
    penalty + history.finder_like() * 40
}

/// The last seven run lengths along a line, newest first.
struct RunHistory {
    size: usize,
    runs: [usize; 7],
}

impl RunHistory {
    fn add(&mut self, mut run: usize) {
        if self.runs[0] == 0 {
            // The first run is light and joins the quiet zone.
            run += self.size;
        }
        self.runs.copy_within(0..6, 1);
        self.runs[0] = run;
    }

    /// 0, 1 or 2: dark 1:1:3:1:1 with a light run of at least 4 before, after, or both.
    fn finder_like(&self) -> usize {
        let r = &self.runs;
        let n = r[1];
        let core = n > 0 && r[2] == n && r[3] == n * 3 && r[4] == n && r[5] == n;
        usize::from(core && r[0] >= n * 4 && r[6] >= n)
            + usize::from(core && r[6] >= n * 4 && r[0] >= n)
    }
}

/// Centres of the alignment patterns along each axis (the same list for rows and columns).
fn alignment_centres(version: u8) -> Vec<usize> {
    if version == 1 {
        return Vec::new();
    }
    let v = usize::from(version);
    let count = v / 7 + 2;
    let step = (v * 8 + count * 3 + 5) / (count * 4 - 4) * 2;
    let size = 17 + 4 * v;
    let mut centres: Vec<usize> = (0..count - 1).map(|i| size - 7 - i * step).collect();
    centres.push(6);
    centres.reverse();
    centres
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A BankID QR payload of the usual shape (BANKID.md §6).
    const PAYLOAD: &str = "bankid.67df3917-fa0d-44e5-b327-edcc928297f8.1.dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8";

    /// Reads `symbol` back with an independent decoder (rqrr), as a phone's camera would, quiet zone
    /// included; returns the version, the level as rqrr numbers it and the content as text.
    fn scan(symbol: &QrSymbol) -> (usize, u16, String) {
        let (version, level, bytes) = scan_bytes(symbol);
        let text = String::from_utf8(bytes).expect("text");
        (version, level, text)
    }

    /// As [`scan`], the content as bytes.
    fn scan_bytes(symbol: &QrSymbol) -> (usize, u16, Vec<u8>) {
        const SCALE: usize = 3;
        const QUIET: usize = 4;
        let side = (symbol.size() + 2 * QUIET) * SCALE;
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
            let (mx, my) = (x / SCALE, y / SCALE);
            let dark = mx >= QUIET && my >= QUIET && symbol.is_dark(mx - QUIET, my - QUIET);
            if dark { 0 } else { 255 }
        });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one symbol in the picture");
        let mut content = Vec::new();
        let meta = grids[0]
            .decode_to(&mut content)
            .expect("the symbol decodes");
        (meta.version.0, meta.ecc_level, content)
    }

    #[test]
    fn a_bankid_payload_scans_back_to_itself() {
        let symbol = QrSymbol::encode(PAYLOAD.as_bytes()).expect("fits");
        // 110 bytes: more than version 6 holds at level M (106), so version 7 (122).
        assert_eq!(PAYLOAD.len(), 110);
        assert_eq!((symbol.version(), symbol.size()), (7, 45));
        let (version, level, content) = scan(&symbol);
        assert_eq!(version, 7);
        assert_eq!(level, 0, "rqrr numbers level M as 0 (its format bits)");
        assert_eq!(content, PAYLOAD);
    }

    #[test]
    fn every_version_scans_at_its_largest_and_refuses_one_byte_more() {
        for version in 1..=40u8 {
            let max = (8 * data_codewords(version) - 4 - count_bits(version)) / 8;
            // Bytes that vary, so every codeword and block differs.
            let data: Vec<u8> = (0..max)
                .map(|i| b"bankid.0123456789abcdef-"[i % 24])
                .collect();
            let symbol = QrSymbol::encode(&data).expect("fits");
            assert_eq!(symbol.version(), version, "{max} bytes");
            let (scanned, _, content) = scan(&symbol);
            assert_eq!(scanned, usize::from(version));
            assert_eq!(content.as_bytes(), data, "version {version}");
            if version < 40 {
                let more = QrSymbol::encode(&vec![b'x'; max + 1]).expect("fits");
                assert_eq!(more.version(), version + 1);
            }
        }
    }

    #[test]
    fn the_capacities_are_the_standards() {
        // ISO/IEC 18004 table 7, byte mode, level M.
        let byte_capacity = |v: u8| (8 * data_codewords(v) - 4 - count_bits(v)) / 8;
        let table = [
            (1, 14),
            (2, 26),
            (5, 84),
            (7, 122),
            (10, 213),
            (20, 666),
            (40, 2331),
        ];
        for (version, bytes) in table {
            assert_eq!(byte_capacity(version), bytes, "version {version}");
        }
        assert_eq!(MAX_BYTES, byte_capacity(40));
    }

    #[test]
    fn too_long_is_a_clear_error_not_a_panic() {
        let err = QrSymbol::encode(&vec![b'a'; MAX_BYTES + 1]).unwrap_err();
        assert_eq!(err, QrSymbolError::TooLong { len: 2332 });
        assert!(err.to_string().contains("2332 bytes"), "{err}");
        assert!(QrSymbol::encode(&vec![b'a'; MAX_BYTES]).is_ok());
        let empty = QrSymbol::encode(b"").expect("an empty symbol is valid");
        assert_eq!(scan(&empty).2, "");
    }

    #[test]
    fn unicode_bytes_survive() {
        let text = "Åsa Ørnulf Ämström-Lindé";
        let symbol = QrSymbol::encode(text.as_bytes()).expect("fits");
        assert_eq!(scan(&symbol).2, text);
    }

    #[test]
    fn each_second_gives_another_symbol() {
        let a = QrSymbol::encode(b"bankid.t.1.aa").expect("fits");
        let b = QrSymbol::encode(b"bankid.t.2.aa").expect("fits");
        assert_ne!(a, b);
        assert_eq!(a.size(), b.size());
    }

    #[test]
    fn the_mask_is_the_one_with_the_lowest_penalty_and_every_mask_scans() {
        let symbol = QrSymbol::encode(PAYLOAD.as_bytes()).expect("fits");
        let penalty = |s: &QrSymbol| {
            let grid = Grid {
                version: s.version,
                size: s.size,
                dark: s.dark.clone(),
                function: Vec::new(),
            };
            grid.penalty()
        };
        for mask in 0..8 {
            let forced = masked(unmasked(PAYLOAD.as_bytes()).expect("fits"), mask);
            assert!(
                penalty(&forced) >= penalty(&symbol),
                "mask {mask} beats the chosen {}",
                symbol.mask()
            );
            // Each mask pattern and its format bits read back, whichever the encoder prefers.
            assert_eq!(scan(&forced).2, PAYLOAD, "mask {mask}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn any_bytes_scan_back(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            let symbol = QrSymbol::encode(&data).expect("fits");
            prop_assert_eq!(scan_bytes(&symbol).2, data);
        }
    }

    #[test]
    fn reed_solomon_matches_the_standards_example() {
        // ISO/IEC 18004 annex I: "01234567" at 1-M, data codewords and their 10 error-correction codewords.
        let data = [
            0x10, 0x20, 0x0C, 0x56, 0x61, 0x80, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11,
            0xEC, 0x11,
        ];
        let ecc = rs_remainder(&data, &rs_divisor(10));
        assert_eq!(
            ecc,
            [0xA5, 0x24, 0xD4, 0xC1, 0xED, 0x36, 0xC7, 0x87, 0x2C, 0x55]
        );
    }

    #[test]
    fn format_and_version_bits_are_the_standards() {
        // ISO/IEC 18004 annex C, table C.1 (level M) and table D.1: a decoder corrects a few wrong bits here, so
        // only the table shows a wrong code.
        let format = [
            0b101010000010010,
            0b101000100100101,
            0b101111001111100,
            0b101101101001011,
            0b100010111111001,
            0b100000011001110,
            0b100111110010111,
            0b100101010100000,
        ];
        for (mask, bits) in (0..8).zip(format) {
            assert_eq!(format_bits(mask), bits, "mask {mask}");
        }
        for (version, bits) in [(7, 0x07C94), (8, 0x085BC), (21, 0x15683), (40, 0x28C69)] {
            assert_eq!(version_bits(version), bits, "version {version}");
        }
    }

    #[test]
    fn alignment_centres_are_the_standards() {
        // ISO/IEC 18004 annex E.
        assert_eq!(alignment_centres(1), Vec::<usize>::new());
        assert_eq!(alignment_centres(2), [6, 18]);
        assert_eq!(alignment_centres(7), [6, 22, 38]);
        assert_eq!(alignment_centres(32), [6, 34, 60, 86, 112, 138]);
        assert_eq!(alignment_centres(40), [6, 30, 58, 86, 114, 142, 170]);
    }
}
