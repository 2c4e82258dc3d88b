"""SIAK reference value lists (kode referensi) for resident biodata.

Each list is a tuple of ``(code, label)`` pairs. The codes are the SIAK reference codes as mirrored
in OpenSID's seed tables (``tweb_penduduk_agama``, ``tweb_penduduk_kawin``,
``tweb_golongan_darah``, ``tweb_penduduk_pekerjaan``, ``tweb_penduduk_hubungan``), taken from
OpenSID/OpenSID ``donjo-app/models/seeders/Data_awal_seeder.php`` (``addDataMaster``) and
cross-checked against an OpenSID database dump. See domain.md §2.1.

Labels are kept exactly as in the source, so they can be matched against imported SIAK/OpenSID
data; upper-case them deliberately where a card or form needs it.
Pure Python on purpose: the Django models build their ``choices`` from these tuples.
"""

from __future__ import annotations

Choices = tuple[tuple[int, str], ...]

AGAMA: Choices = (
    (1, "ISLAM"),
    (2, "KRISTEN"),
    (3, "KATHOLIK"),
    (4, "HINDU"),
    (5, "BUDHA"),
    (6, "KHONGHUCU"),
    # Mixed case in the source. The exact printed string for penghayat kepercayaan is still to be
    # confirmed against real cards (domain.md §7).
    (7, "Kepercayaan Terhadap Tuhan YME / Lainnya"),
)

BELUM_KAWIN, KAWIN, CERAI_HIDUP, CERAI_MATI = 1, 2, 3, 4

STATUS_PERKAWINAN: Choices = (
    (BELUM_KAWIN, "BELUM KAWIN"),
    (KAWIN, "KAWIN"),
    (CERAI_HIDUP, "CERAI HIDUP"),
    (CERAI_MATI, "CERAI MATI"),
)

GOLONGAN_DARAH_TIDAK_TAHU = 13

GOLONGAN_DARAH: Choices = (
    (1, "A"),
    (2, "B"),
    (3, "AB"),
    (4, "O"),
    (5, "A+"),
    (6, "A-"),
    (7, "B+"),
    (8, "B-"),
    (9, "AB+"),
    (10, "AB-"),
    (11, "O+"),
    (12, "O-"),
    (GOLONGAN_DARAH_TIDAK_TAHU, "TIDAK TAHU"),
)

LAKI_LAKI, PEREMPUAN = 1, 2

JENIS_KELAMIN: Choices = (
    (LAKI_LAKI, "LAKI-LAKI"),
    (PEREMPUAN, "PEREMPUAN"),
)

WNI, WNA = 1, 2

# OpenSID also seeds 3 "DUA KEWARGANEGARAAN"; the card only knows WNI and WNA (domain.md §2.1).
KEWARGANEGARAAN: Choices = (
    (WNI, "WNI"),
    (WNA, "WNA"),
)

PEKERJAAN: Choices = (
    (1, "BELUM/TIDAK BEKERJA"),
    (2, "MENGURUS RUMAH TANGGA"),
    (3, "PELAJAR/MAHASISWA"),
    (4, "PENSIUNAN"),
    (5, "PEGAWAI NEGERI SIPIL (PNS)"),
    (6, "TENTARA NASIONAL INDONESIA (TNI)"),
    (7, "KEPOLISIAN RI (POLRI)"),
    (8, "PERDAGANGAN"),
    (9, "PETANI/PEKEBUN"),
    (10, "PETERNAK"),
    (11, "NELAYAN/PERIKANAN"),
    (12, "INDUSTRI"),
    (13, "KONSTRUKSI"),
    (14, "TRANSPORTASI"),
    (15, "KARYAWAN SWASTA"),
    (16, "KARYAWAN BUMN"),
    (17, "KARYAWAN BUMD"),
    (18, "KARYAWAN HONORER"),
    (19, "BURUH HARIAN LEPAS"),
    (20, "BURUH TANI/PERKEBUNAN"),
    (21, "BURUH NELAYAN/PERIKANAN"),
    (22, "BURUH PETERNAKAN"),
    (23, "PEMBANTU RUMAH TANGGA"),
    (24, "TUKANG CUKUR"),
    (25, "TUKANG LISTRIK"),
    (26, "TUKANG BATU"),
    (27, "TUKANG KAYU"),
    (28, "TUKANG SOL SEPATU"),
    (29, "TUKANG LAS/PANDAI BESI"),
    (30, "TUKANG JAHIT"),
    (31, "TUKANG GIGI"),
    (32, "PENATA RIAS"),
    (33, "PENATA BUSANA"),
    (34, "PENATA RAMBUT"),
    (35, "MEKANIK"),
    (36, "SENIMAN"),
    (37, "TABIB"),
    (38, "PARAJI"),
    (39, "PERANCANG BUSANA"),
    (40, "PENTERJEMAH"),
    (41, "IMAM MASJID"),
    (42, "PENDETA"),
    (43, "PASTOR"),
    (44, "WARTAWAN"),
    (45, "USTADZ/MUBALIGH"),
    (46, "JURU MASAK"),
    (47, "PROMOTOR ACARA"),
    (48, "ANGGOTA DPR-RI"),
    (49, "ANGGOTA DPD"),
    (50, "ANGGOTA BPK"),
    (51, "PRESIDEN"),
    (52, "WAKIL PRESIDEN"),
    (53, "ANGGOTA MAHKAMAH KONSTITUSI"),
    (54, "ANGGOTA KABINET KEMENTERIAN"),
    (55, "DUTA BESAR"),
    (56, "GUBERNUR"),
    (57, "WAKIL GUBERNUR"),
    (58, "BUPATI"),
    (59, "WAKIL BUPATI"),
    (60, "WALIKOTA"),
    (61, "WAKIL WALIKOTA"),
    (62, "ANGGOTA DPRD PROVINSI"),
    (63, "ANGGOTA DPRD KABUPATEN/KOTA"),
    (64, "DOSEN"),
    (65, "GURU"),
    (66, "PILOT"),
    (67, "PENGACARA"),
    (68, "NOTARIS"),
    (69, "ARSITEK"),
    (70, "AKUNTAN"),
    (71, "KONSULTAN"),
    (72, "DOKTER"),
    (73, "BIDAN"),
    (74, "PERAWAT"),
    (75, "APOTEKER"),
    (76, "PSIKIATER/PSIKOLOG"),
    (77, "PENYIAR TELEVISI"),
    (78, "PENYIAR RADIO"),
    (79, "PELAUT"),
    (80, "PENELITI"),
    (81, "SOPIR"),
    (82, "PIALANG"),
    (83, "PARANORMAL"),
    (84, "PEDAGANG"),
    (85, "PERANGKAT DESA"),
    (86, "KEPALA DESA"),
    (87, "BIARAWATI"),
    (88, "WIRASWASTA"),
    (89, "LAINNYA"),
)

# Status hubungan dalam keluarga (SHDK): the member's relationship to the head of the KK.
KEPALA_KELUARGA = 1

SHDK: Choices = (
    (KEPALA_KELUARGA, "KEPALA KELUARGA"),
    (2, "SUAMI"),
    (3, "ISTRI"),
    (4, "ANAK"),
    (5, "MENANTU"),
    (6, "CUCU"),
    (7, "ORANGTUA"),
    (8, "MERTUA"),
    (9, "FAMILI LAIN"),
    (10, "PEMBANTU"),
    (11, "LAINNYA"),
)


def label_of(choices: Choices, code: int) -> str:
    """The label for ``code`` in ``choices``; KeyError for a code outside the list."""
    for value, label in choices:
        if value == code:
            return label
    raise KeyError(code)


def blood_type_on_card(code: int | None) -> str:
    """Golongan darah as printed on the card: "-" when unknown (TIDAK TAHU or not recorded)."""
    if code is None or code == GOLONGAN_DARAH_TIDAK_TAHU:
        return "-"
    return label_of(GOLONGAN_DARAH, code)
