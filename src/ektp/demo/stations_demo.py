"""``ektp demo --stations``: a central and two station laptops on this machine, each its own
``ektp`` process and SQLite file, the network between them a relay that can be cut.

The Alak recording point records online, then through an outage; the Oebobo print point
prefetches print-ready records of its kecamatan, then prints them offline. Alak's offline
queue also goes to the Dinas on a USB stick, and central's signed receipt comes back on it.
When the network comes back both sync, and central shows that every packet arrived exactly
once, nothing was printed twice and the stock ledgers balance."""

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from ektp.demo.station_steps import PRINT_STATION, RECORDING_STATION
from ektp.stations.local_cluster import Node, Relay

ONLINE_RECORDINGS, OFFLINE_RECORDINGS, OFFLINE_PRINTS = 4, 6, 8


class StationsDemo:
    def __init__(self, folder: Path, *, residents: int, print_ready: int,
                 write: Callable[[str], None] = print):
        self.folder, self.write = Path(folder), write
        self.residents, self.print_ready = residents, print_ready
        shutil.rmtree(self.folder, ignore_errors=True)
        self.central = Node(self.folder / "pusat", "central")
        self.alak = Node(self.folder / "stasiun-alak", "station")
        self.oebobo = Node(self.folder / "stasiun-oebobo", "station")
        self.relay: Relay | None = None
        self.newcomer = ""

    def step(self, node: Node, *args: str) -> dict:
        return json.loads(node.ektp("demo_node", *args).stdout.strip().splitlines()[-1])

    def sync(self, node: Node) -> str:
        """One ``ektp sync`` at a station: its report line, or the error it stopped with."""
        result = node.ektp("sync", check=False)
        text = (result.stdout if result.returncode == 0 else result.stderr).strip()
        return text.splitlines()[-1].removeprefix("CommandError: ") if text else ""

    def run(self) -> dict:
        started = time.monotonic()
        password = self.set_up_central()
        self.central.serve()
        self.relay = Relay(self.central.port)
        try:
            self.register(password)
            self.online()
            self.outage()
            self.reconnect()
            result = self.tally()
        finally:
            self.relay.close()
            self.central.stop()
        self.write(f"Selesai dalam {time.monotonic() - started:.0f} detik. Data di {self.folder}")
        return result

    def set_up_central(self) -> str:
        self.write(f"Demo stasiun: pusat dan dua stasiun di mesin ini ({self.folder})")
        self.central.ektp("migrate", "-v", "0")
        setup = self.step(self.central, "central-setup", "--residents", str(self.residents),
                          "--print-ready", str(self.print_ready))
        self.write(f"1. Pusat: {self.residents} penduduk Kota Kupang, {setup['print_ready']} "
                   f"rekaman PRR di Kec. Oebobo; kantor cetak {PRINT_STATION['office']} "
                   f"menerima blangko, ribbon dan film.")
        for station in (self.alak, self.oebobo):
            self.central.copy_register_to(station)  # each laptop set up from central's image
        return setup["password"]

    def register(self, password: str) -> None:
        # The installer compares central's key id (read out by phone) before pinning it.
        key_id = self.central.ektp("station", "keys").stdout.split("central_key_id\t")[1]
        for node, station in ((self.alak, RECORDING_STATION), (self.oebobo, PRINT_STATION)):
            node.ektp("station", "register", "--central", self.relay.url, "--code",
                      station["code"], "--office", station["office"], "--username", "admin",
                      "--password", password, "--expect-key-id", key_id.split()[0])
        self.write(f"2. Stasiun {RECORDING_STATION['code']} (perekaman) dan "
                   f"{PRINT_STATION['code']} (titik cetak) terdaftar: kunci Ed25519 ditukar, "
                   f"kunci pusat ({key_id.split()[0]}) dipasang di stasiun.")

    def online(self) -> None:
        self.newcomer = self.step(self.central, "central-newcomer")["nik"]
        self.write(f"3. Jaringan tersambung. Pusat mendaftarkan penduduk pindah datang di Alak "
                   f"(NIK {self.newcomer}), sesudah laptop disiapkan; "
                   f"{RECORDING_STATION['code']} sinkron: {self.sync(self.alak)}")
        self.step(self.alak, "record", "--count", str(ONLINE_RECORDINGS))
        self.write(f"   {RECORDING_STATION['code']} merekam {ONLINE_RECORDINGS} (penduduk baru "
                   f"itu juga); sinkron: {self.sync(self.alak)}")
        self.write(f"   {PRINT_STATION['code']} sinkron (ambil PRR wilayahnya): "
                   f"{self.sync(self.oebobo)}")

    def outage(self) -> None:
        self.relay.cut()
        self.write("4. Jaringan PUTUS.")
        self.step(self.alak, "record", "--count", str(OFFLINE_RECORDINGS))
        queue = self.step(self.alak, "summary")["outbox"]
        self.write(f"   {RECORDING_STATION['code']} tetap merekam {OFFLINE_RECORDINGS}; antrean "
                   f"kirim {queue}; sinkron: {self.sync(self.alak)}")
        self.carry_on_usb()
        cancelled = self.step(self.central, "central-cancel")["cancelled"]
        self.write(f"   Pusat mencatat pemohon #{cancelled} (PRR, dipegang titik cetak) meninggal "
                   f"dunia: permohonannya dibatalkan; stasiun belum tahu.")
        printed = self.step(self.oebobo, "print", "--count", str(OFFLINE_PRINTS))
        self.write(f"   {PRINT_STATION['code']} tetap mencetak {printed['printed']} kartu dari "
                   f"rekaman yang sudah diambil; sinkron: {self.sync(self.oebobo)}")
        self.central.ektp("dedup", "run")
        self.write("   Pusat menjalankan penunggalan atas rekaman yang sudah masuk.")

    def carry_on_usb(self) -> None:
        """No network at all: the outbox goes to the Dinas on a stick, the receipt comes back."""
        stick = self.folder / "usb" / "alak.json"
        stick.parent.mkdir(exist_ok=True)
        self.alak.ektp("sync", "export", str(stick))
        imported = self.central.ektp("sync", "import", str(stick)).stdout.splitlines()[0]
        receipt = self.alak.ektp("sync", "receipt", f"{stick}.receipt.json").stdout.strip()
        queue = self.step(self.alak, "summary")["outbox"]
        self.write(f"   Petugas membawa antrean ke Dinas dengan USB; impor di pusat: {imported}; "
                   f"tanda terima pusat dibaca stasiun: {receipt}; antrean kirim {queue}.")

    def reconnect(self) -> None:
        self.relay.restore()
        self.write("5. Jaringan PULIH.")
        for node, station in ((self.alak, RECORDING_STATION), (self.oebobo, PRINT_STATION)):
            self.write(f"   {station['code']} sinkron: {self.sync(node)}")

    def tally(self) -> dict:
        central = self.step(self.central, "central-check")
        stations = [self.step(node, "summary") for node in (self.alak, self.oebobo)]
        self.write(f"6. Hasil\n{'stasiun':15} {'paket':>6} {'di pusat':>9} {'sekali':>7} "
                   f"{'celah':>6} {'antrean':>8}  status rekaman di stasiun")
        # Exactly the one conflict staged above: the cancelled record printed offline.
        ok = central["rejected"] == 0 and central["printed"] == central["printed_distinct"] \
            and central["conflicts"] == ["not_print_ready"]
        for summary in stations:
            at = central["stations"][summary["code"]]
            once = at["received"] == at["distinct"] == summary["packets"] == at["highest"]
            ok &= once and not at["gaps"] and summary["outbox"] == 0
            statuses = ", ".join(f"{k} {v}" for k, v in sorted(summary["statuses"].items()))
            self.write(f"{summary['code']:15} {summary['packets']:>6} {at['received']:>9} "
                       f"{'ya' if once else 'TIDAK':>7} {len(at['gaps']):>6} "
                       f"{summary['outbox']:>8}  {statuses or '-'}")
        ok &= central["ledgers_balance"] and self.newcomer in central["stations"][
            RECORDING_STATION["code"]]["enrolled"]
        self.write(f"Kartu tercetak tercatat di pusat: {central['printed']} (rekaman berbeda "
                   f"{central['printed_distinct']}); paket ditolak: {central['rejected']}; "
                   f"konflik: {', '.join(central['conflicts']) or 'tidak ada'}; blangko "
                   f"{PRINT_STATION['office']} di pusat: {central['print_point_blanks']}; "
                   f"buku stok seimbang: {'ya' if central['ledgers_balance'] else 'TIDAK'}")
        self.write("HASIL: " + ("semua paket tiba di pusat tepat sekali, tidak ada yang dicetak "
                                "dua kali" if ok else "GAGAL"))
        return {"ok": ok, "central": central, "stations": stations, "newcomer": self.newcomer}
