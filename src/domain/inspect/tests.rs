//! The inspector's tests: every format, every safety check, streamed and random-access reads.

use super::*;

fn put(buf: &mut Vec<u8>, at: usize, bytes: &[u8]) {
    if buf.len() < at + bytes.len() {
        buf.resize(at + bytes.len(), 0);
    }
    buf[at..at + bytes.len()].copy_from_slice(bytes);
}

fn qcow2_header(version: u32, backing: u64, incompatible: u64) -> Vec<u8> {
    let mut b = vec![0u8; 512];
    put(&mut b, 0, b"QFI\xfb");
    put(&mut b, 4, &version.to_be_bytes());
    put(&mut b, 8, &backing.to_be_bytes());
    put(&mut b, 20, &16u32.to_be_bytes());
    put(&mut b, 24, &(64u64 << 20).to_be_bytes());
    put(&mut b, 72, &incompatible.to_be_bytes());
    b
}

fn descriptor(create_type: &str, extent: &str) -> String {
    format!(
        "# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n\
         createType=\"{create_type}\"\n\n# Extent description\n{extent}\n\n\
         # The Disk Data Base\n#DDB\n\nddb.adapterType = \"ide\"\n"
    )
}

/// A sparse VMDK: header in sector 0, descriptor in sectors 1-2, then `extra` sectors.
fn vmdk(create_type: &str, gd_offset: u64) -> Vec<u8> {
    let mut b = vec![0u8; 512 * 8];
    put(&mut b, 0, b"KDMV");
    put(&mut b, 4, &3u32.to_le_bytes());
    put(&mut b, 8, &0x30003u32.to_le_bytes());
    put(&mut b, 12, &131072u64.to_le_bytes());
    put(&mut b, 20, &128u64.to_le_bytes());
    put(&mut b, 28, &1u64.to_le_bytes());
    put(&mut b, 36, &2u64.to_le_bytes());
    put(&mut b, 44, &512u32.to_le_bytes());
    put(&mut b, 56, &gd_offset.to_le_bytes());
    put(&mut b, 77, &1u16.to_le_bytes());
    let d = descriptor(create_type, "RW 131072 SPARSE \"disk.vmdk\"");
    put(&mut b, 512, d.as_bytes());
    b
}

/// Appends a stream-optimized footer marker, footer (`footer` edits the header copy) and
/// end-of-stream marker.
fn with_footer(mut b: Vec<u8>, edit: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    let mut marker = vec![0u8; 512];
    put(&mut marker, 12, &3u32.to_le_bytes());
    let mut footer = b[..512].to_vec();
    put(&mut footer, 56, &7u64.to_le_bytes());
    edit(&mut footer);
    b.extend_from_slice(&marker);
    b.extend_from_slice(&footer);
    b.extend_from_slice(&[0u8; 512]);
    b
}

fn vhdx(size: u64) -> Vec<u8> {
    let mut b = vec![0u8; 0x50000];
    put(&mut b, 0, b"vhdxfile");
    let t = VHDX_REGION_TABLE as usize;
    put(&mut b, t, b"regi");
    put(&mut b, t + 8, &2u32.to_le_bytes());
    // A first, unrelated region entry, then the metadata region at 0x40000.
    put(&mut b, t + 16, &[0xAA; 16]);
    put(&mut b, t + 48, &VHDX_METADATA_GUID);
    put(&mut b, t + 64, &0x40000u64.to_le_bytes());
    put(&mut b, t + 72, &0x10000u32.to_le_bytes());
    let m = 0x40000;
    put(&mut b, m, b"metadata");
    put(&mut b, m + 10, &1u16.to_le_bytes());
    put(&mut b, m + 32, &VHDX_SIZE_GUID);
    put(&mut b, m + 48, &0x100u32.to_le_bytes());
    put(&mut b, m + 0x100, &size.to_le_bytes());
    b
}

fn iso(blocks: u32) -> Vec<u8> {
    let mut b = vec![0u8; 34 * 1024];
    put(&mut b, ISO_DESCRIPTOR, b"\x01CD001\x01");
    put(&mut b, ISO_DESCRIPTOR + 80, &blocks.to_le_bytes());
    put(&mut b, ISO_DESCRIPTOR + 128, &2048u16.to_le_bytes());
    b
}

fn mbr(entries: &[(u8, u8, u32)]) -> Vec<u8> {
    let mut b = vec![0u8; 1024];
    for (i, (boot, kind, start)) in entries.iter().enumerate() {
        put(&mut b, 446 + 16 * i, &[*boot]);
        put(&mut b, 446 + 16 * i + 4, &[*kind]);
        put(&mut b, 446 + 16 * i + 8, &start.to_le_bytes());
    }
    put(&mut b, 510, &[0x55, 0xAA]);
    b
}

fn check_of(i: &Inspection) -> Option<&'static str> {
    match &i.problem {
        Some(Problem::Unsafe { check, .. }) => Some(check.name()),
        _ => None,
    }
}

#[test]
fn qcow2_versions_size_and_safety() {
    let v2 = inspect_bytes(&qcow2_header(2, 0, 0));
    assert_eq!(
        (v2.format, v2.virtual_size, v2.problem),
        (Format::Qcow2, Some(64 << 20), None)
    );
    let v3 = inspect_bytes(&qcow2_header(3, 0, 0b11));
    assert_eq!((v3.virtual_size, v3.problem), (Some(64 << 20), None));
    assert_eq!(
        check_of(&inspect_bytes(&qcow2_header(3, 0x200, 0))),
        Some("backing_file")
    );
    assert_eq!(
        check_of(&inspect_bytes(&qcow2_header(3, 0, 1 << 2))),
        Some("data_file")
    );
    assert_eq!(
        check_of(&inspect_bytes(&qcow2_header(3, 0, 1 << 9))),
        Some("unknown_features")
    );
    assert_eq!(
        check_of(&inspect_bytes(&qcow2_header(4, 0, 0))),
        Some("unknown_features")
    );
    let cut = inspect_bytes(&qcow2_header(3, 0, 0)[..80]);
    assert_eq!(
        cut.problem,
        Some(Problem::Truncated(Format::Qcow2, Section::Header))
    );
}

#[test]
fn vhd_vdi_luks_qed_and_raw() {
    let mut vhd = vec![0u8; 512];
    put(&mut vhd, 0, b"conectix");
    put(&mut vhd, 40, &67125248u64.to_be_bytes());
    let i = inspect_bytes(&vhd);
    assert_eq!((i.format, i.virtual_size), (Format::Vhd, Some(67125248)));

    let mut vdi = vec![0u8; 1024];
    put(&mut vdi, 0x40, &0xBEDA107Fu32.to_le_bytes());
    put(&mut vdi, 0x170, &(1u64 << 30).to_le_bytes());
    let i = inspect_bytes(&vdi);
    assert_eq!((i.format, i.virtual_size), (Format::Vdi, Some(1 << 30)));
    assert!(matches!(
        inspect_bytes(&vdi[..0x100]).problem,
        Some(Problem::Truncated(..))
    ));

    let mut luks = b"LUKS\xba\xbe\x00\x01".to_vec();
    luks.resize(1024, 0);
    assert_eq!(inspect_bytes(&luks).problem, None);
    luks[7] = 2;
    assert_eq!(check_of(&inspect_bytes(&luks)), Some("version"));

    assert_eq!(check_of(&inspect_bytes(b"QED\0 and more")), Some("qed"));

    let raw = inspect_bytes(&[7u8; 4000]);
    assert_eq!(
        (raw.format, raw.virtual_size, raw.problem),
        (Format::Raw, Some(4000), None)
    );
    assert_eq!(inspect_bytes(&[]).format, Format::Raw);
}

#[test]
fn vhdx_size_is_found_through_its_tables() {
    let i = inspect_bytes(&vhdx(5 << 30));
    assert_eq!(
        (i.format, i.virtual_size, i.problem),
        (Format::Vhdx, Some(5 << 30), None)
    );
    let mut broken = vhdx(1);
    put(&mut broken, VHDX_REGION_TABLE as usize, b"nope");
    assert!(matches!(
        inspect_bytes(&broken).problem,
        Some(Problem::Damaged(..))
    ));
    let cut = inspect_bytes(&vhdx(1)[..0x38000]);
    assert_eq!(
        cut.problem,
        Some(Problem::Truncated(Format::Vhdx, Section::RegionTable))
    );
}

#[test]
fn vmdk_descriptor_rules() {
    let ok = inspect_bytes(&vmdk("monolithicSparse", 30));
    assert_eq!(
        (ok.format, ok.virtual_size, ok.problem),
        (Format::Vmdk, Some(64 << 20), None)
    );
    assert_eq!(inspect_bytes(&vmdk("streamOptimized", 30)).problem, None);
    let flat = inspect_bytes(&vmdk("monolithicFlat", 30));
    assert!(flat
        .problem
        .unwrap()
        .to_string()
        .contains("createType monolithicFlat"));

    let mut slash = vmdk("monolithicSparse", 30);
    let d = descriptor("monolithicSparse", "RW 131072 SPARSE \"/etc/shadow\"");
    put(&mut slash, 512, &[0u8; 1024]);
    put(&mut slash, 512, d.as_bytes());
    let p = inspect_bytes(&slash).problem.unwrap().to_string();
    assert!(p.contains("contains '/'"), "{p}");

    let mut none = vmdk("monolithicSparse", 30);
    put(&mut none, 512, &[0u8; 1024]);
    put(
        &mut none,
        512,
        descriptor("monolithicSparse", "").as_bytes(),
    );
    assert!(inspect_bytes(&none)
        .problem
        .unwrap()
        .to_string()
        .contains("no extent"));

    let mut odd = vmdk("monolithicSparse", 30);
    put(&mut odd, 512 + 22, b"!!!!!!!!!");
    assert_eq!(check_of(&inspect_bytes(&odd)), Some("descriptor"));

    // A descriptor file alone, even with an allowed type, points at other files.
    let file = descriptor("monolithicSparse", "RW 131072 SPARSE \"disk.vmdk\"");
    let i = inspect_bytes(file.as_bytes());
    assert_eq!((i.format, check_of(&i)), (Format::Vmdk, Some("descriptor")));
    let file = descriptor("monolithicFlat", "RW 131072 FLAT \"disk-flat.vmdk\" 0");
    assert!(inspect_bytes(file.as_bytes())
        .problem
        .unwrap()
        .to_string()
        .contains("monolithicFlat"));
}

#[test]
fn vmdk_stream_footer_must_match_the_header() {
    let body = vmdk("streamOptimized", GD_AT_END);
    let good = inspect_bytes(&with_footer(body.clone(), |_| {}));
    assert_eq!(good.problem, None);
    let other = with_footer(body.clone(), |f| put(f, 12, &999u64.to_le_bytes()));
    let p = inspect_bytes(&other).problem.unwrap().to_string();
    assert!(p.contains("footer disagrees"), "{p}");
    let mut no_eos = with_footer(body.clone(), |_| {});
    let n = no_eos.len();
    no_eos[n - 100] = 1;
    assert_eq!(check_of(&inspect_bytes(&no_eos)), Some("footer"));
    let unended = inspect_bytes(&body);
    assert_eq!(check_of(&unended), Some("footer"));
}

#[test]
fn iso_gpt_and_fat() {
    let i = inspect_bytes(&iso(184));
    assert_eq!((i.format, i.virtual_size), (Format::Iso, Some(184 * 2048)));
    let mut hybrid = iso(10);
    put(&mut hybrid, 0, &mbr(&[(0x80, 0x17, 0)])[..512]);
    assert_eq!(inspect_bytes(&hybrid).format, Format::Iso);

    let gpt = inspect_bytes(&mbr(&[(0, 0xEE, 1)]));
    assert_eq!((gpt.format, gpt.problem), (Format::Gpt, None));
    assert_eq!(
        check_of(&inspect_bytes(&mbr(&[(0x12, 0x83, 2048)]))),
        Some("mbr")
    );
    assert_eq!(
        check_of(&inspect_bytes(&mbr(&[(0, 0xEE, 1), (0, 0x83, 9)]))),
        Some("mbr")
    );
    assert_eq!(check_of(&inspect_bytes(&mbr(&[(0, 0xEE, 5)]))), Some("mbr"));
    let mut fat = mbr(&[]);
    put(&mut fat, 54, b"FAT16   ");
    assert_eq!(inspect_bytes(&fat).format, Format::Raw);

    let mut both = qcow2_header(3, 0, 0);
    put(&mut both, 510, &[0x55, 0xAA]);
    let i = inspect_bytes(&both);
    assert_eq!(
        i.problem,
        Some(Problem::Ambiguous(vec![Format::Qcow2, Format::Gpt]))
    );
}

#[test]
fn judge_follows_glance() {
    let found = |format, virtual_size| Inspection {
        format,
        virtual_size,
        problem: None,
    };
    let q = found(Format::Qcow2, Some(10));
    let accept = |v, w: bool| {
        move |verdict: Verdict| match verdict {
            Verdict::Accept {
                virtual_size,
                warning,
            } => virtual_size == v && warning.is_some() == w,
            Verdict::Refuse(_) => false,
        }
    };
    assert!(accept(Some(10), false)(judge("qcow2", &q, 99, true)));
    assert!(accept(Some(99), true)(judge("raw", &q, 99, true)));
    assert!(accept(Some(99), false)(judge(
        "raw",
        &found(Format::Raw, Some(99)),
        99,
        true
    )));
    assert!(accept(None, false)(judge(
        "aki",
        &found(Format::Raw, Some(99)),
        99,
        true
    )));
    let refused = judge("vmdk", &q, 99, true);
    assert_eq!(
        refused,
        Verdict::Refuse(Refusal::Mismatch {
            detected: Format::Qcow2,
            declared: "vmdk".into(),
        })
    );
    let Verdict::Refuse(why) = refused else {
        unreachable!()
    };
    assert_eq!(
        why.to_string(),
        "The data is a qcow2 image, not the declared vmdk."
    );
    assert!(accept(None, true)(judge("vmdk", &q, 99, false)));
    assert!(matches!(
        judge("qcow2", &found(Format::Raw, Some(9)), 9, true),
        Verdict::Refuse(_)
    ));
    let unsafe_raw = inspect_bytes(b"QED\0...");
    assert!(matches!(
        judge("raw", &unsafe_raw, 7, false),
        Verdict::Refuse(_)
    ));
}

/// Feeds `data` in the given chunk sizes, as a stream would.
fn streamed(data: &[u8], sizes: &[usize]) -> Inspection {
    let mut i = Inspector::new();
    let (mut at, mut k) = (0, 0);
    while at < data.len() {
        let n = sizes[k % sizes.len()].max(1).min(data.len() - at);
        i.provide(at as u64, &data[at..at + n]);
        at += n;
        k += 1;
    }
    i.finish(data.len() as u64)
}

/// Reads only what the inspector asks for, plus the tail, as the browser does.
fn random_access(data: &[u8]) -> (Inspection, usize) {
    let read =
        |a: u64, b: u64| std::future::ready(Ok::<_, ()>(data[a as usize..b as usize].to_vec()));
    let mut run = std::pin::pin!(inspect_random_access(data.len() as u64, read));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match std::future::Future::poll(run.as_mut(), &mut cx) {
        std::task::Poll::Ready(Ok((found, read))) => (found, read as usize),
        _ => unreachable!("reads from memory are ready at once"),
    }
}

fn samples() -> Vec<Vec<u8>> {
    let mut stream = with_footer(vmdk("streamOptimized", GD_AT_END), |_| {});
    stream.splice(4096..4096, vec![9u8; 200_000]);
    let mut big_vhdx = vhdx(3 << 30);
    big_vhdx.resize(3 << 20, 1);
    vec![
        qcow2_header(3, 0, 0),
        qcow2_header(2, 8, 0),
        vmdk("monolithicSparse", 30),
        stream,
        big_vhdx,
        iso(50),
        mbr(&[(0, 0xEE, 1)]),
        vec![3u8; 300_000],
    ]
}

#[test]
fn chunking_and_random_access_agree_with_one_pass() {
    for data in samples() {
        let whole = inspect_bytes(&data);
        for sizes in [&[1usize][..], &[7, 4096, 13], &[65536], &[100_000, 3]] {
            if sizes == [1] && data.len() > 70_000 {
                continue;
            }
            assert_eq!(streamed(&data, sizes), whole, "chunks {sizes:?}");
        }
        let (seen, read) = random_access(&data);
        assert_eq!(seen, whole);
        assert!(read <= 200 * 1024, "read {read} bytes");
    }
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Random bytes, fed in random chunks: never a panic, and chunking changes nothing.
        #[test]
        fn random_data_never_panics(data in prop::collection::vec(any::<u8>(), 0..70_000),
                                    sizes in prop::collection::vec(1usize..9000, 1..5)) {
            let whole = inspect_bytes(&data);
            prop_assert_eq!(streamed(&data, &sizes), whole.clone());
            prop_assert_eq!(random_access(&data).0, whole);
        }

        /// Real headers with random bytes overwritten (magic kept, so the parsers run).
        #[test]
        fn mutated_headers_never_panic(pick in 0usize..8,
                                       edits in prop::collection::vec((0usize..0x50000, any::<u8>()), 1..40),
                                       cut in 0usize..0x50000,
                                       sizes in prop::collection::vec(1usize..70_000, 1..4)) {
            let mut data = samples().swap_remove(pick);
            for (at, v) in edits {
                if at >= 4 && at < data.len() {
                    data[at] = v;
                }
            }
            if cut < data.len() && cut % 3 == 0 {
                data.truncate(cut);
            }
            let whole = inspect_bytes(&data);
            prop_assert_eq!(streamed(&data, &sizes), whole.clone());
            prop_assert_eq!(random_access(&data).0, whole);
        }
    }
}

/// A region that happens to end where the data ends (here the VHDX region table of a 192 KiB
/// file) is read before the tail: the tail read must still fill in the bytes before it.
#[test]
fn a_region_reaching_the_end_does_not_hide_the_tail() {
    let mut data = samples().swap_remove(3);
    data.truncate(VHDX_REGION_TABLE as usize + 3);
    let whole = inspect_bytes(&data);
    assert_eq!(check_of(&whole), Some("footer"));
    assert_eq!(random_access(&data).0, whole);
}
