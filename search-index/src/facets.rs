//! Facets packed into 32 bits per dataset.
//!
//! Each posting carries its dataset's facet values, so facet counts can follow any query
//! without loading per-dataset files. A single-valued facet takes the bits needed for its
//! values plus "none" (value index + 1); a multi-valued facet (formats) takes one bit per value.
//! The layout is written into the directory file, and both clients unpack from it.

use serde::Serialize;

/// A facet dimension and its values, in a fixed order (the order is part of the layout).
#[derive(Debug, Clone, Serialize)]
pub struct FacetDim {
    /// The URL parameter and key (`domain`, `level`, …).
    pub name: String,
    /// The label shown (数据领域, …).
    pub label: String,
    /// `(value, label)` pairs; `value` is what the URL carries.
    pub values: Vec<(String, String)>,
    /// Whether a dataset may have several values (a bit per value).
    pub multi: bool,
}

/// Where each facet sits in the 32-bit code: `(offset, width)` per dimension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Layout(pub Vec<(u32, u32)>);

/// The facets do not fit in 32 bits.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the facets need {0} bits; at most 32 fit (fewer domains or formats)")]
pub struct LayoutError(pub u32);

impl Layout {
    /// Lays out `dims` in order.
    pub fn new(dims: &[FacetDim]) -> Result<Layout, LayoutError> {
        let mut offset = 0;
        let mut fields = Vec::with_capacity(dims.len());
        for dim in dims {
            let width = if dim.multi {
                dim.values.len() as u32
            } else {
                u32::BITS - (dim.values.len() as u32).leading_zeros()
            };
            fields.push((offset, width));
            offset += width;
        }
        if offset > 32 {
            return Err(LayoutError(offset));
        }
        Ok(Layout(fields))
    }

    /// Packs one dataset's values, given as (dimension, value index) pairs; a single-valued
    /// dimension takes its first value.
    pub fn pack(&self, dims: &[FacetDim], values: &[(u8, u16)]) -> u32 {
        let mut code = 0u32;
        let mut taken = 0u64;
        for &(dim, v) in values {
            let (Some(facet), Some(&(offset, _))) =
                (dims.get(usize::from(dim)), self.0.get(usize::from(dim)))
            else {
                continue;
            };
            if facet.multi {
                code |= 1 << (offset + u32::from(v));
            } else if taken & (1 << dim) == 0 {
                taken |= 1 << dim;
                code |= (u32::from(v) + 1) << offset;
            }
        }
        code
    }

    /// Calls `found` with each value of dimension `dim` that the dataset with `code` has, in
    /// value order: the same values [`Layout::has`] says yes to.
    pub fn values_of(
        &self,
        dims: &[FacetDim],
        code: u32,
        dim: usize,
        mut found: impl FnMut(usize),
    ) {
        let (offset, width) = self.0[dim];
        let values = dims[dim].values.len();
        let field = (u64::from(code) >> offset) & ((1u64 << width) - 1);
        if dims[dim].multi {
            let mut bits = field & ((1u64 << values.min(63)) - 1);
            while bits != 0 {
                found(bits.trailing_zeros() as usize);
                bits &= bits - 1;
            }
        } else if field >= 1 && ((field - 1) as usize) < values {
            found((field - 1) as usize);
        }
    }

    /// Whether the dataset with `code` has value `value` of dimension `dim`.
    pub fn has(&self, dims: &[FacetDim], code: u32, dim: usize, value: usize) -> bool {
        let (offset, width) = self.0[dim];
        if dims[dim].multi {
            code >> (offset + value as u32) & 1 == 1
        } else {
            (code >> offset) & ((1u32 << width) - 1) == value as u32 + 1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dim(name: &str, n: usize, multi: bool) -> FacetDim {
        FacetDim {
            name: name.into(),
            label: name.into(),
            values: (0..n).map(|i| (i.to_string(), i.to_string())).collect(),
            multi,
        }
    }

    #[test]
    fn values_pack_and_unpack() {
        let dims = vec![
            dim("domain", 24, false),
            dim("level", 5, false),
            dim("format", 9, true),
        ];
        let layout = Layout::new(&dims).unwrap();
        assert_eq!(layout.0, vec![(0, 5), (5, 3), (8, 9)]);
        let code = layout.pack(&dims, &[(0, 23), (0, 21), (2, 0), (2, 8)]);
        assert!(layout.has(&dims, code, 0, 23));
        assert!(!layout.has(&dims, code, 0, 22));
        assert!((0..5).all(|v| !layout.has(&dims, code, 1, v)));
        assert!(layout.has(&dims, code, 2, 0) && layout.has(&dims, code, 2, 8));
        assert!(!layout.has(&dims, code, 2, 1));
    }

    #[test]
    fn values_of_lists_what_has_says_yes_to() {
        let dims = vec![
            dim("domain", 24, false),
            dim("level", 5, false),
            dim("format", 9, true),
            dim("empty", 0, true),
        ];
        let layout = Layout::new(&dims).unwrap();
        // Every code of 17 bits, plus stray high bits.
        for code in (0u32..1 << 17).step_by(7).chain([u32::MAX, 1 << 31]) {
            for d in 0..dims.len() {
                let mut listed = Vec::new();
                layout.values_of(&dims, code, d, |v| listed.push(v));
                let want: Vec<usize> = (0..dims[d].values.len())
                    .filter(|&v| layout.has(&dims, code, d, v))
                    .collect();
                assert_eq!(listed, want, "code {code:#x} dim {d}");
            }
        }
    }

    #[test]
    fn too_many_values_is_an_error() {
        assert_eq!(
            Layout::new(&[dim("format", 33, true)]),
            Err(LayoutError(33))
        );
    }
}
