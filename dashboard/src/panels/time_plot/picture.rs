//! A plot's lines and min–max bands, rasterised on the CPU into one texture
//! that is drawn as a single image for as long as nothing in it changes.
//!
//! Why: under software OpenGL (remote desktops, VMs, many laptops: Mesa's
//! llvmpipe) each anti-aliased line segment egui tessellates becomes six
//! sliver triangles, rasterised again every frame, and a host view's dozen
//! five-minute lines cost more than the rest of the window together
//! (BENCHMARKS.md, "The dashboard beside its floor"). Drawn here, a plot costs
//! one textured rectangle per frame, and one raster on the CPU (see
//! [`raster`]) when a
//! sample arrives or the view moves.
//!
//! What a person sees stays: the lines are anti-aliased, dashed where they
//! were, and broken where samples are missing (a [`Line`] is one unbroken
//! run); hovering still names each sample, because every series is also a
//! [`HoverPoints`] item that draws nothing and gives `egui_plot` its points.
//! [`drawn_shapes`] returns what was rasterised as egui shapes, so tests
//! check the geometry the pixels come from.

use std::sync::Arc;

use egui::epaint::{Mesh, PathShape, Vertex, WHITE_UV};
use egui::{
    Color32, ColorImage, Context, Id, Pos2, Rect, Shape, TextureHandle, TextureOptions, Ui,
};
use egui_plot::{PlotBounds, PlotGeometry, PlotItem, PlotItemBase, PlotPoint, PlotTransform};

use self::raster::{Coverage, dashes};

mod raster;

/// `egui_plot`'s dense dash, so a dashed series looks as it did: 5 points on,
/// the golden ratio of that off.
const DASH_ON: f32 = 5.0;
const DASH_OFF: f32 = DASH_ON * (std::f32::consts::GOLDEN_RATIO - 1.0);

/// One unbroken run of a series, in plot coordinates.
#[derive(Debug, Clone)]
pub struct Line {
    /// The vertices, left to right.
    pub points: Vec<PlotPoint>,
    /// Its colour.
    pub color: Color32,
    /// Its width, in points.
    pub width: f32,
    /// Dashed (the second of a pair).
    pub dashed: bool,
}

/// The area between two lines over the same x values (a min–max band), in
/// plot coordinates.
#[derive(Debug, Clone)]
pub struct Band {
    /// The x of each column of the band.
    pub xs: Vec<f64>,
    /// The band's bottom at each x.
    pub lows: Vec<f64>,
    /// The band's top at each x.
    pub highs: Vec<f64>,
    /// Its fill.
    pub color: Color32,
}

/// Everything one plot draws from its samples, bands under lines.
#[derive(Debug)]
pub struct Picture {
    id: Id,
    base: PlotItemBase,
    /// Filled first.
    pub bands: Vec<Band>,
    /// Stroked over the bands, in order.
    pub lines: Vec<Line>,
}

impl Picture {
    /// An empty picture; `id` keeps its texture between frames.
    #[must_use]
    pub fn new(id: Id) -> Self {
        Self {
            id,
            base: PlotItemBase::new(String::new()),
            bands: Vec::new(),
            lines: Vec::new(),
        }
    }
}

/// A [`Line`] on screen, in points.
#[derive(Debug, Clone, PartialEq)]
pub struct ScreenLine {
    /// The vertices; a lone one is drawn as a dot.
    pub points: Vec<Pos2>,
    /// Its colour.
    pub color: Color32,
    /// Its width, in points.
    pub width: f32,
    /// Dashed.
    pub dashed: bool,
}

/// A [`Band`] on screen, in points: its top left to right, its bottom under it.
#[derive(Debug, Clone, PartialEq)]
struct ScreenBand {
    top: Vec<Pos2>,
    bottom: Vec<Pos2>,
    color: Color32,
}

/// A picture placed on screen: what its pixels are rasterised from.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawn {
    /// The pixels the texture covers: whole pixels around the plot's frame.
    pixels: [i32; 4],
    pixels_per_point: f32,
    bands: Vec<ScreenBand>,
    lines: Vec<ScreenLine>,
}

impl Drawn {
    fn new(picture: &Picture, transform: &PlotTransform, pixels_per_point: f32) -> Self {
        let frame = transform.frame();
        let screen = |x: f64, y: f64| transform.position_from_point(&PlotPoint::new(x, y));
        let bands = picture
            .bands
            .iter()
            .map(|band| {
                let edge = |ys: &[f64]| {
                    band.xs
                        .iter()
                        .zip(ys)
                        .map(|(x, y)| screen(*x, *y))
                        .collect()
                };
                ScreenBand {
                    top: edge(&band.highs),
                    bottom: edge(&band.lows),
                    color: band.color,
                }
            })
            .collect();
        let lines = picture
            .lines
            .iter()
            .map(|line| ScreenLine {
                points: line.points.iter().map(|p| screen(p.x, p.y)).collect(),
                color: line.color,
                width: line.width,
                dashed: line.dashed,
            })
            .collect();
        Self::on_screen(*frame, pixels_per_point, bands, lines)
    }

    /// `lines` over `bands` within `rect` (in points), at `pixels_per_point`.
    fn on_screen(
        rect: Rect,
        pixels_per_point: f32,
        bands: Vec<ScreenBand>,
        lines: Vec<ScreenLine>,
    ) -> Self {
        #[allow(
            clippy::cast_possible_truncation,
            reason = "screen pixels are far inside i32"
        )]
        let pixels = [
            (rect.min.x * pixels_per_point).floor() as i32,
            (rect.min.y * pixels_per_point).floor() as i32,
            (rect.max.x * pixels_per_point).ceil() as i32,
            (rect.max.y * pixels_per_point).ceil() as i32,
        ];
        Self {
            pixels,
            pixels_per_point,
            bands,
            lines,
        }
    }

    /// Where the texture goes, in points.
    #[allow(clippy::cast_precision_loss, reason = "screen pixels")]
    fn rect(&self) -> Rect {
        let [x0, y0, x1, y1] = self.pixels.map(|p| p as f32 / self.pixels_per_point);
        Rect::from_min_max(Pos2::new(x0, y0), Pos2::new(x1, y1))
    }

    /// The picture as egui shapes in points: each line a path, each band a
    /// mesh of one quad per column (as `egui_plot`'s filled area is made).
    #[must_use]
    pub fn shapes(&self) -> Vec<Shape> {
        let bands = self.bands.iter().map(|band| {
            let mut mesh = Mesh::default();
            for (top, bottom) in band.top.windows(2).zip(band.bottom.windows(2)) {
                let first = u32::try_from(mesh.vertices.len()).unwrap_or(u32::MAX);
                for pos in [top[0], top[1], bottom[1], bottom[0]] {
                    mesh.vertices.push(Vertex {
                        pos,
                        uv: WHITE_UV,
                        color: band.color,
                    });
                }
                mesh.add_triangle(first, first + 1, first + 2);
                mesh.add_triangle(first, first + 2, first + 3);
            }
            Shape::mesh(mesh)
        });
        let lines = self.lines.iter().map(|line| match line.points.as_slice() {
            [point] => Shape::circle_filled(*point, dot_radius(line.width), line.color),
            points => Shape::Path(PathShape::line(
                points.to_vec(),
                egui::Stroke::new(line.width, line.color),
            )),
        });
        bands.chain(lines).collect()
    }

    /// The pixels: transparent but for the bands and lines, premultiplied as
    /// egui wants them.
    #[allow(clippy::cast_precision_loss, reason = "screen pixels")]
    fn raster(&self) -> Option<ColorImage> {
        let [x0, y0, x1, y1] = self.pixels;
        let width = usize::try_from(x1 - x0).ok().filter(|w| *w > 0)?;
        let height = usize::try_from(y1 - y0).ok().filter(|h| *h > 0)?;
        let mut pixels = vec![Color32::TRANSPARENT; width * height];
        let mut coverage = Coverage::new(width, height);
        let ppp = self.pixels_per_point;
        let to_pixels = |p: Pos2| (p.x * ppp - x0 as f32, p.y * ppp - y0 as f32);
        for band in &self.bands {
            let top: Vec<(f32, f32)> = band.top.iter().map(|p| to_pixels(*p)).collect();
            let bottom: Vec<(f32, f32)> = band.bottom.iter().map(|p| to_pixels(*p)).collect();
            for (top, bottom) in top.windows(2).zip(bottom.windows(2)) {
                coverage.trapezoid(
                    top[0].0,
                    top[1].0,
                    (top[0].1, top[1].1),
                    (bottom[0].1, bottom[1].1),
                );
            }
            coverage.composite(&mut pixels, band.color);
        }
        // Lines as capsules (see `raster`), each blended over what is
        // under it; a lone sample is a dot, as wide as the line.
        for line in &self.lines {
            let points: Vec<(f32, f32)> = line.points.iter().map(|p| to_pixels(*p)).collect();
            if let [_] = points.as_slice() {
                coverage.polyline(&points, dot_radius(line.width) * ppp);
            } else if line.dashed {
                for dash in dashes(&points, DASH_ON * ppp, DASH_OFF * ppp) {
                    coverage.polyline(&dash, line.width * ppp / 2.0);
                }
            } else {
                coverage.polyline(&points, line.width * ppp / 2.0);
            }
            coverage.composite(&mut pixels, line.color);
        }
        Some(ColorImage::new([width, height], pixels))
    }
}

/// The radius of the dot a lone sample is drawn as, in points: half the
/// line's width, as `egui_plot` drew it, and never under one point.
fn dot_radius(width: f32) -> f32 {
    (width / 2.0).max(1.0)
}

/// The texture of a picture, and what it was rasterised from.
#[derive(Clone)]
struct Cached {
    drawn: Arc<Drawn>,
    texture: TextureHandle,
}

/// The pictures drawn in the newest pass, for [`drawn_shapes`].
#[derive(Clone, Default)]
struct Passes {
    pass: u64,
    drawn: Vec<Arc<Drawn>>,
}

fn passes_id() -> Id {
    Id::NULL.with("time plot pictures drawn")
}

/// What every plot rasterised in the newest pass, as egui shapes in points
/// ([`Drawn::shapes`]): the geometry the plots' pixels come from.
#[must_use]
pub fn drawn_shapes(ctx: &Context) -> Vec<Shape> {
    ctx.data(|d| d.get_temp::<Passes>(passes_id()))
        .map(|passes| passes.drawn.iter().flat_map(|d| d.shapes()).collect())
        .unwrap_or_default()
}

/// What both items answer alike: no bounds of their own (the plot's are set
/// for it), nothing to set up, and their base.
macro_rules! plot_item_plumbing {
    () => {
        fn initialize(&mut self, _x_range: std::ops::RangeInclusive<f64>) {}

        fn bounds(&self) -> PlotBounds {
            PlotBounds::NOTHING
        }

        fn base(&self) -> &PlotItemBase {
            &self.base
        }

        fn base_mut(&mut self) -> &mut PlotItemBase {
            &mut self.base
        }
    };
}

/// The texture of `drawn`: the one kept under `id` if it was rasterised from
/// the same, else rasterised again into it.
fn texture(ctx: &Context, id: Id, drawn: Drawn) -> Option<Cached> {
    let kept = ctx.data(|d| d.get_temp::<Cached>(id));
    if let Some(kept) = kept.as_ref().filter(|kept| *kept.drawn == drawn) {
        return Some(kept.clone());
    }
    let image = drawn.raster()?;
    let texture = match kept {
        Some(mut kept) => {
            kept.texture.set(image, TextureOptions::NEAREST);
            kept.texture
        }
        None => ctx.load_texture("time plot", image, TextureOptions::NEAREST),
    };
    let cached = Cached {
        drawn: Arc::new(drawn),
        texture,
    };
    ctx.data_mut(|d| d.insert_temp(id, cached.clone()));
    Some(cached)
}

/// `lines` within `rect` (in points), as one image kept under `id`: what a
/// small chart outside a plot (the fleet's sparklines) draws.
#[must_use]
pub fn lines_image(ctx: &Context, id: Id, rect: Rect, lines: Vec<ScreenLine>) -> Option<Shape> {
    image(
        ctx,
        id,
        Drawn::on_screen(rect, ctx.pixels_per_point(), Vec::new(), lines),
    )
}

/// `drawn` as an image shape, from the texture kept under `id` (rasterised
/// again when `drawn` changed); noted for [`drawn_shapes`]. None when it
/// covers no pixel.
fn image(ctx: &Context, id: Id, drawn: Drawn) -> Option<Shape> {
    let cached = texture(ctx, id, drawn)?;
    let pass = ctx.cumulative_pass_nr();
    ctx.data_mut(|d| {
        let passes = d.get_temp_mut_or_default::<Passes>(passes_id());
        if passes.pass != pass {
            *passes = Passes {
                pass,
                drawn: Vec::new(),
            };
        }
        passes.drawn.push(Arc::clone(&cached.drawn));
    });
    Some(Shape::image(
        cached.texture.id(),
        cached.drawn.rect(),
        Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)),
        Color32::WHITE,
    ))
}

impl PlotItem for Picture {
    fn shapes(&self, ui: &Ui, transform: &PlotTransform, shapes: &mut Vec<Shape>) {
        let ctx = ui.ctx();
        let drawn = Drawn::new(self, transform, ctx.pixels_per_point());
        shapes.extend(image(ctx, self.id, drawn));
    }

    fn color(&self) -> Color32 {
        Color32::TRANSPARENT
    }

    fn geometry(&self) -> PlotGeometry<'_> {
        PlotGeometry::None
    }

    plot_item_plumbing!();
}

/// A series' samples for hovering: drawn by its [`Picture`], found here.
#[derive(Debug)]
pub struct HoverPoints {
    base: PlotItemBase,
    color: Color32,
    points: Vec<PlotPoint>,
}

impl HoverPoints {
    /// The points of the series named `name` (what the hover label says).
    #[must_use]
    pub fn new(name: &str, color: Color32, points: Vec<PlotPoint>) -> Self {
        Self {
            base: PlotItemBase::new(name.to_owned()),
            color,
            points,
        }
    }
}

impl PlotItem for HoverPoints {
    fn shapes(&self, _ui: &Ui, _transform: &PlotTransform, _shapes: &mut Vec<Shape>) {}

    fn color(&self) -> Color32 {
        self.color
    }

    fn geometry(&self) -> PlotGeometry<'_> {
        if self.points.is_empty() {
            PlotGeometry::None
        } else {
            PlotGeometry::Points(&self.points)
        }
    }

    plot_item_plumbing!();
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLUE: Color32 = Color32::from_rgb(0x40, 0x80, 0xff);

    fn line(points: &[(f32, f32)], dashed: bool) -> ScreenLine {
        ScreenLine {
            points: points.iter().map(|&(x, y)| Pos2::new(x, y)).collect(),
            color: BLUE,
            width: 2.0,
            dashed,
        }
    }

    /// The alpha of the pixel at `(x, y)`.
    fn alpha(image: &ColorImage, x: usize, y: usize) -> u8 {
        image.pixels[y * image.size[0] + x].a()
    }

    #[test]
    fn only_the_lines_the_dots_and_the_bands_are_painted() {
        let rect = Rect::from_min_max(Pos2::new(100.0, 50.0), Pos2::new(160.0, 90.0));
        let band = ScreenBand {
            top: vec![Pos2::new(140.0, 55.0), Pos2::new(150.0, 55.0)],
            bottom: vec![Pos2::new(140.0, 65.0), Pos2::new(150.0, 65.0)],
            color: BLUE.gamma_multiply(0.3),
        };
        let lines = vec![
            line(&[(100.0, 80.0), (160.0, 80.0)], false),
            line(&[(110.0, 60.0)], false),
        ];
        let image = Drawn::on_screen(rect, 1.0, vec![band], lines)
            .raster()
            .expect("pixels");
        assert_eq!(image.size, [60, 40]);
        assert!(alpha(&image, 30, 30) > 200, "on the line");
        assert_eq!(alpha(&image, 30, 20), 0, "between the line and the dot");
        assert!(alpha(&image, 10, 10) > 100, "the lone sample's dot");
        assert_eq!(alpha(&image, 15, 10), 0, "beside the dot");
        let inside = alpha(&image, 45, 10);
        assert!(inside > 0 && inside < 200, "the band, paler: {inside}");
        assert_eq!(alpha(&image, 45, 2), 0, "above the band");
    }

    #[test]
    fn a_dashed_line_leaves_gaps() {
        let rect = Rect::from_min_max(Pos2::ZERO, Pos2::new(40.0, 10.0));
        let image = Drawn::on_screen(
            rect,
            1.0,
            Vec::new(),
            vec![line(&[(0.0, 5.0), (40.0, 5.0)], true)],
        )
        .raster()
        .expect("pixels");
        let along: Vec<u8> = (0..40).map(|x| alpha(&image, x, 5)).collect();
        assert!(along.iter().any(|&a| a > 200), "{along:?}");
        assert!(along.contains(&0), "{along:?}");
    }

    #[test]
    fn the_texture_is_kept_while_the_picture_is_the_same() {
        let ctx = Context::default();
        let id = Id::NULL.with("test picture");
        let rect = Rect::from_min_max(Pos2::ZERO, Pos2::new(40.0, 10.0));
        let drawn = |y: f32| {
            Drawn::on_screen(
                rect,
                1.0,
                Vec::new(),
                vec![line(&[(0.0, y), (40.0, y)], false)],
            )
        };
        let first = texture(&ctx, id, drawn(5.0)).expect("a texture");
        let again = texture(&ctx, id, drawn(5.0)).expect("a texture");
        assert!(
            Arc::ptr_eq(&first.drawn, &again.drawn),
            "not rasterised again"
        );
        let moved = texture(&ctx, id, drawn(6.0)).expect("a texture");
        assert!(!Arc::ptr_eq(&first.drawn, &moved.drawn), "rasterised again");
        assert_eq!(
            first.texture.id(),
            moved.texture.id(),
            "into the same texture"
        );
    }
}
