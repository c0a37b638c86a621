//! The tray icons (icons/tray/*.png, embedded) as the ARGB32 pixmaps StatusNotifierItem
//! hosts take, in every size we ship so the panel picks the sharpest.

use weathervane::model::Status;
use weathervane::views::menu::TrayIcon;

#[derive(Debug, thiserror::Error)]
pub enum IconError {
    #[error("cannot decode a tray icon: {0}")]
    Decode(#[from] png::DecodingError),
    #[error("a tray icon has a pixel format we do not convert: {0:?}")]
    Format(png::ColorType),
}

macro_rules! sizes {
    ($name:literal) => {
        [
            include_bytes!(concat!("../../icons/tray/tray-", $name, "-16.png")).as_slice(),
            include_bytes!(concat!("../../icons/tray/tray-", $name, "-22.png")).as_slice(),
            include_bytes!(concat!("../../icons/tray/tray-", $name, "-32.png")).as_slice(),
            include_bytes!(concat!("../../icons/tray/tray-", $name, "-44.png")).as_slice(),
        ]
    };
}

/// The PNGs of one icon, smallest first.
fn pngs(icon: TrayIcon) -> [&'static [u8]; 4] {
    match (icon.status, icon.switched) {
        (Status::Operational, false) => sizes!("operational"),
        (Status::Maintenance, false) => sizes!("maintenance"),
        (Status::Degraded, false) => sizes!("degraded"),
        (Status::PartialOutage, false) => sizes!("partial_outage"),
        (Status::MajorOutage, false) => sizes!("major_outage"),
        (Status::Unknown, false) => sizes!("unknown"),
        (Status::Operational, true) => sizes!("operational-switched"),
        (Status::Maintenance, true) => sizes!("maintenance-switched"),
        (Status::Degraded, true) => sizes!("degraded-switched"),
        (Status::PartialOutage, true) => sizes!("partial_outage-switched"),
        (Status::MajorOutage, true) => sizes!("major_outage-switched"),
        (Status::Unknown, true) => sizes!("unknown-switched"),
    }
}

/// Every size of an icon as ARGB32 pixmaps.
pub fn pixmaps(icon: TrayIcon) -> Result<Vec<ksni::Icon>, IconError> {
    pngs(icon).iter().map(|b| decode(b)).collect()
}

/// One PNG to ARGB32 in network byte order (A, R, G, B per pixel), as the spec wants.
fn decode(bytes: &[u8]) -> Result<ksni::Icon, IconError> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info()?;
    let mut buf = vec![0; reader.output_buffer_size().unwrap_or(0)];
    let info = reader.next_frame(&mut buf)?;
    let px = &buf[..info.buffer_size()];
    let mut data = Vec::with_capacity((info.width * info.height * 4) as usize);
    match info.color_type {
        png::ColorType::Rgba => px
            .chunks_exact(4)
            .for_each(|p| data.extend([p[3], p[0], p[1], p[2]])),
        png::ColorType::Rgb => px
            .chunks_exact(3)
            .for_each(|p| data.extend([255, p[0], p[1], p[2]])),
        png::ColorType::GrayscaleAlpha => px
            .chunks_exact(2)
            .for_each(|p| data.extend([p[1], p[0], p[0], p[0]])),
        png::ColorType::Grayscale => px.iter().for_each(|&g| data.extend([255, g, g, g])),
        other => return Err(IconError::Format(other)),
    }
    Ok(ksni::Icon {
        width: i32::try_from(info.width).unwrap_or(i32::MAX),
        height: i32::try_from(info.height).unwrap_or(i32::MAX),
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_icon_decodes_in_four_sizes_with_some_opaque_pixels() {
        for status in Status::ALL {
            for switched in [false, true] {
                let icon = TrayIcon { status, switched };
                let maps = pixmaps(icon).unwrap();
                let sizes: Vec<_> = maps.iter().map(|m| (m.width, m.height)).collect();
                assert_eq!(sizes, [(16, 16), (22, 22), (32, 32), (44, 44)], "{icon:?}");
                for m in &maps {
                    assert_eq!(m.data.len(), (m.width * m.height * 4) as usize);
                    // Alpha comes first: an icon read as RGBA would have no opaque "A" here.
                    assert!(m.data.chunks_exact(4).any(|p| p[0] == 255), "{icon:?}");
                }
            }
        }
    }
}
