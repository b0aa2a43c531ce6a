"""The ERP's catalogue master data: units, warehouses, the category tree with how its products are named, and
brands."""

from __future__ import annotations

from dataclasses import dataclass

UNITS = [
    ("ADET", "Adet", "Piece", 0),
    ("KOLI", "Koli", "Case", 0),
    ("KG", "Kilogram", "Kilogram", 3),
    ("MT", "Metre", "Metre", 3),
    ("PAKET", "Paket", "Pack", 0),
]

WAREHOUSES = [
    ("MERKEZ", "İstanbul Merkez Depo", True),
    ("ANKARA", "Ankara Bölge Depo", True),
    ("KARANTINA", "Karantina / Hasarlı Ürün Deposu", False),
]


@dataclass(frozen=True)
class Leaf:
    """A leaf category and how its products are named: ``pattern`` filled with one choice per dimension.

    Texts read "Turkish=English" (a text without "=" is the same in both languages); a dimension's
    choices are separated by "|".
    """

    code: str
    names: str
    unit: str
    price_range: tuple[int, int]
    pattern: str
    dims: tuple[str, ...]
    vat: int = 20
    batch_managed: bool = False


def tr_en(text: str) -> tuple[str, str]:
    tr, _sep, en = text.partition("=")
    return tr.strip(), (en or tr).strip()


def choices(dimension: str) -> list[tuple[str, str]]:
    return [tr_en(choice) for choice in dimension.split("|")]


COLOURS = "Beyaz=White | Krem=Cream | Antrasit=Anthracite | Siyah=Black"
PAINT_COLOURS = "Beyaz=White | Kırık Beyaz=Off-white | Fildişi=Ivory | Açık Gri=Light Grey | Vizon=Mink | Bej=Beige"
PAINT_SIZES = "2,5 L=2.5 L | 7,5 L=7.5 L | 15 L"
PIPE_SIZES = "20 mm | 25 mm | 32 mm | 40 mm | 50 mm | 63 mm"

# fmt: off
CATEGORIES: list[tuple[str, str, list[Leaf]]] = [
    ("ELK", "Elektrik Malzemeleri=Electrical Supplies", [
        Leaf("ELK-KBL", "Kablolar=Cables", "MT", (8, 180), "Kablo {0} {1} mm² {2}=Cable {0} {1} mm² {2}", (
            "NYM | NYA | H05VV-F | TTR | NYY | N2XH",
            "1x1,5=1x1.5 | 1x2,5=1x2.5 | 2x1,5=2x1.5 | 3x1,5=3x1.5 | 3x2,5=3x2.5 | 4x4 | 5x6 | 5x10",
            "Gri=Grey | Siyah=Black | Beyaz=White")),
        Leaf("ELK-ANP", "Anahtar ve Prizler=Switches & Sockets", "ADET", (35, 400), "{0} {1} {2}", (
            "Nova | Arte | Vega | Prima | Sonata",
            "Anahtar=Switch | Komütatör=Two-circuit Switch | Vavien Anahtar=Two-way Switch"
            " | Topraklı Priz=Schuko Socket | Çocuk Korumalı Priz=Child-safe Socket | TV Prizi=TV Socket"
            " | Data Prizi Cat6=Data Socket Cat6 | Dimmer",
            COLOURS)),
        Leaf("ELK-SGT", "Sigortalar ve Şalterler=Circuit Breakers", "ADET", (90, 2500), "{0} {2} {1}", (
            "Otomatik Sigorta B=MCB B-curve | Otomatik Sigorta C=MCB C-curve"
            " | Kaçak Akım Rölesi 30mA=RCD 30mA | Kaçak Akım Rölesi 300mA=RCD 300mA",
            "6A | 10A | 16A | 20A | 25A | 32A | 40A | 63A",
            "1 Kutup=1-pole | 2 Kutup=2-pole | 3 Kutup=3-pole | 4 Kutup=4-pole")),
        Leaf("ELK-KNL", "Kablo Kanalları=Cable Trunking", "ADET", (25, 300),
              "Kablo Kanalı {0} {1} {2} 2 m=Cable Trunking {0} {1} {2} 2 m", (
            "16x16 | 25x16 | 40x16 | 40x25 | 60x40 | 80x40 | 100x60",
            "Yapışkanlı=Adhesive | Bölmeli=Divided | Standart=Standard",
            "Beyaz=White | Gri=Grey | Siyah=Black")),
    ]),
    ("AYD", "Aydınlatma=Lighting", [
        Leaf("AYD-PNL", "LED Paneller=LED Panels", "ADET", (250, 1800), "LED Panel {0} {3} {1} {2}", (
            "60x60 | 30x120 | 30x30 | Yuvarlak Ø22=Round Ø22 | Yuvarlak Ø17=Round Ø17",
            "18W | 24W | 36W | 40W | 48W",
            "3000K Gün Işığı=3000K Warm White | 4000K Ilık Beyaz=4000K Neutral White | 6500K Beyaz=6500K Cool White",
            "Sıva Altı=Recessed | Sıva Üstü=Surface-mounted")),
        Leaf("AYD-AMP", "LED Ampuller=LED Bulbs", "ADET", (30, 250),
              "LED Ampul {0} {1} {2} {3}=LED Bulb {0} {1} {2} {3}", (
            "A60 | Mum=Candle | Top=Globe | Armut=Pear | Filament Rustik=Vintage Filament | R63",
            "5W | 7W | 9W | 12W | 15W",
            "E27 | E14",
            "3000K | 6500K")),
        Leaf("AYD-PRJ", "Projektörler=Floodlights", "ADET", (200, 4500),
              "LED Projektör {0} {1} {2} {3}=LED Floodlight {0} {1} {2} {3}", (
            "10W | 20W | 30W | 50W | 100W | 150W | 200W",
            "IP65 | IP66",
            "Siyah Kasa=Black Housing | Beyaz Kasa=White Housing",
            " | Sensörlü=with Sensor")),
        Leaf("AYD-SRT", "Şerit LED=LED Strips", "ADET", (150, 1500),
              "Şerit LED {0} {1} {2} {3} 5 m=LED Strip {0} {1} {2} {3} 5 m", (
            "12V | 24V | 220V",
            "60 LED/m | 120 LED/m | 240 LED/m",
            "Gün Işığı=Warm White | Beyaz=Cool White | RGB | Mavi=Blue | Kırmızı=Red",
            "İç Mekan=Indoor | IP65 Dış Mekan=IP65 Outdoor")),
    ]),
    ("HRD", "Hırdavat=Hardware", [
        Leaf("HRD-ELA", "El Aletleri=Hand Tools", "ADET", (80, 1500), "{0} {1} {2}", (
            "Pense=Combination Pliers | Yan Keski=Side Cutter | Kargaburun=Long-nose Pliers"
            " | Düz Tornavida=Flat Screwdriver | Yıldız Tornavida=Phillips Screwdriver | Çekiç=Claw Hammer"
            " | Kombine Anahtar Seti=Combination Spanner Set | Alyan Anahtar Seti=Hex Key Set"
            " | Maket Bıçağı=Utility Knife | Su Terazisi=Spirit Level | Şerit Metre=Tape Measure",
            "Profesyonel=Professional | Ekonomik=Economy | İzoleli VDE=Insulated VDE | Endüstriyel=Industrial",
            " | Askılı Blister=Hanging Blister")),
        Leaf("HRD-VDA", "Vida ve Dübeller=Screws & Anchors", "PAKET", (60, 900), "{0} {1} {2} ({3})", (
            "Sunta Vidası=Chipboard Screw | Akıllı Vida=Self-drilling Screw | Trifon Vida=Coach Screw"
            " | Plastik Dübel=Plastic Anchor | Çelik Dübel=Steel Anchor | Alçıpan Vidası=Drywall Screw",
            "3,5x30=3.5x30 | 4x40 | 5x50 | 6x60 | 8x80",
            "Sarı Galvaniz=Yellow Zinc | Beyaz Galvaniz=White Zinc | Siyah Fosfat=Black Phosphate",
            "100 Adet=100 pcs | 500 Adet=500 pcs")),
        Leaf("HRD-EAL", "Elektrikli El Aletleri=Power Tools", "ADET", (1200, 12000), "{0} {1} {2}", (
            "Darbeli Matkap=Impact Drill | Akülü Vidalama=Cordless Drill Driver | Avuç Taşlama=Angle Grinder"
            " | Kırıcı Delici=Rotary Hammer | Dekupaj Testere=Jigsaw | Sıcak Hava Tabancası=Heat Gun"
            " | Zımpara Makinesi=Sander",
            "550W | 750W | 1010W | 18V 2Ah | 18V 4Ah",
            "Kartonlu=Boxed | Çantalı=with Case")),
        Leaf("HRD-KLT", "Kilit ve Menteşe=Locks & Hinges", "ADET", (150, 2500), "{0} {1} {2}", (
            "Barel Kilit=Euro Cylinder | Asma Kilit=Padlock | Gömme Kilit=Mortise Lock | Kapı Menteşesi=Door Hinge"
            " | Frenli Menteşe=Soft-close Hinge | Kapı Kolu=Door Handle",
            "30 mm | 40 mm | 50 mm | 60 mm | 70 mm",
            "Krom=Chrome | Pirinç=Brass | Mat Siyah=Matt Black | Saten Nikel=Satin Nickel")),
    ]),
    ("BYA", "Boya=Paint", [
        Leaf("BYA-IC", "İç Cephe Boyaları=Interior Paints", "ADET", (400, 4500), "{0} {1} {2}", (
            "Silikonlu İç Cephe Boyası=Silicone Interior Paint | Plastik İç Cephe Boyası=Acrylic Interior Paint"
            " | Tavan Boyası=Ceiling Paint | Silinebilir Mat Boya=Washable Matt Paint"
            " | Antibakteriyel Boya=Antibacterial Paint",
            PAINT_COLOURS, PAINT_SIZES), batch_managed=True),
        Leaf("BYA-DIS", "Dış Cephe Boyaları=Exterior Paints", "ADET", (600, 6000), "{0} {1} {2}", (
            "Silikonlu Dış Cephe Boyası=Silicone Exterior Paint"
            " | Elastomerik Dış Cephe Boyası=Elastomeric Exterior Paint"
            " | Akrilik Dış Cephe Boyası=Acrylic Exterior Paint | Grenli Kaplama=Textured Coating",
            PAINT_COLOURS, PAINT_SIZES), batch_managed=True),
        Leaf("BYA-AST", "Astar ve Macun=Primers & Fillers", "KG", (15, 120), "{0} {1} {2}", (
            "Saten Alçı=Satin Plaster | Sıva Astarı=Plaster Primer | Dolgu Macunu=Filler Putty"
            " | Su Bazlı Astar=Water-based Primer | Antipas=Anti-rust Primer | Derz Dolgu=Joint Filler",
            "Standart=Standard | Premium | Hızlı Kuruyan=Fast-drying",
            "Dökme=Bulk | Torba=Bagged"), batch_managed=True),
        Leaf("BYA-FRC", "Fırça ve Rulolar=Brushes & Rollers", "ADET", (25, 400), "{0} {1} {2}", (
            "Kestirme Fırça=Angled Brush | Yassı Fırça=Flat Brush | Boya Rulosu=Paint Roller | Mini Rulo=Mini Roller"
            " | Radyatör Fırçası=Radiator Brush",
            "No 1=Size 1 | No 2=Size 2 | No 3=Size 3 | No 4=Size 4 | No 5=Size 5",
            "Doğal Kıl=Natural Bristle | Sentetik=Synthetic | Mikrofiber=Microfibre")),
    ]),
    ("TSS", "Tesisat=Plumbing", [
        Leaf("TSS-BRU", "PPR Borular=PPR Pipes", "MT", (15, 250), "PPR Boru {0} {1} {2}=PPR Pipe {0} {1} {2}", (
            PIPE_SIZES,
            "PN10 | PN16 | PN20 | PN25 Cam Elyaflı=PN25 Glass Fibre | PN25 Alüminyum Folyolu=PN25 Aluminium Foil",
            "Beyaz=White | Yeşil=Green | Gri=Grey")),
        Leaf("TSS-EKP", "PPR Ek Parçalar=PPR Fittings", "ADET", (5, 150), "{0} {1} {2}", (
            "PPR Dirsek 90°=PPR Elbow 90° | PPR Dirsek 45°=PPR Elbow 45° | PPR Te=PPR Tee | PPR Manşon=PPR Coupling"
            " | PPR Redüksiyon=PPR Reducer | PPR Kör Tapa=PPR End Cap | PPR Dişli Dirsek=PPR Threaded Elbow",
            PIPE_SIZES,
            "Beyaz=White | Yeşil=Green")),
        Leaf("TSS-VNA", "Vanalar=Valves", "ADET", (80, 1800), "{0} {1} {2}", (
            "Küresel Vana=Ball Valve | Radyatör Vanası=Radiator Valve | Çekvalf=Check Valve"
            " | Pislik Tutucu=Y-Strainer | Kelebek Vana=Butterfly Valve",
            '1/2" | 3/4" | 1" | 1 1/4" | 1 1/2" | 2"',
            "Pirinç=Brass | Nikel Kaplama=Nickel-plated")),
        Leaf("TSS-BAT", "Bataryalar=Taps & Mixers", "ADET", (900, 9000), "{1} {0} {2}", (
            "Lavabo Bataryası=Basin Mixer | Eviye Bataryası=Sink Mixer | Banyo Bataryası=Bath Mixer"
            " | Ankastre Duş Seti=Concealed Shower Set | Termostatik Batarya=Thermostatic Mixer",
            "Arya | Defne | Lale | Mira",
            "Krom=Chrome | Mat Siyah=Matt Black | Fırçalanmış Altın=Brushed Gold | Beyaz=White")),
    ]),
    ("ISG", "İş Güvenliği=Work Safety", [
        Leaf("ISG-ELD", "Eldivenler=Gloves", "ADET", (25, 400), "{0} {2} {1}", (
            "Nitril Kaplı İş Eldiveni=Nitrile-coated Work Glove | Lateks Eldiven=Latex Glove"
            " | Kesilme Dirençli Eldiven=Cut-resistant Glove | Deri Kaynakçı Eldiveni=Leather Welding Glove"
            " | Örme Eldiven=Knitted Glove",
            "7 (S) | 8 (M) | 9 (L) | 10 (XL) | 11 (XXL)",
            "Siyah=Black | Mavi=Blue | Gri=Grey"), vat=10, batch_managed=True),
        Leaf("ISG-AYK", "İş Ayakkabıları=Safety Shoes", "ADET", (700, 3500), "{0} {2} No {1}={0} {2} Size {1}", (
            "S1P Çelik Burunlu Ayakkabı=S1P Steel-toe Shoe | S3 Kompozit Burunlu Bot=S3 Composite-toe Boot"
            " | S2 Kışlık Bot=S2 Winter Boot | S1 Sandalet=S1 Sandal",
            "38 | 39 | 40 | 41 | 42 | 43 | 44 | 45 | 46",
            "Siyah=Black | Lacivert=Navy | Gri=Grey")),
        Leaf("ISG-BRT", "Baret ve Gözlük=Helmets & Goggles", "ADET", (60, 1500), "{0} {1} {2}", (
            "Baret=Safety Helmet | Vidalı Baret=Ratchet Helmet | Koruyucu Gözlük=Safety Glasses"
            " | Kaynak Maskesi=Welding Mask | Yüz Siperi=Face Shield | Kulak Koruyucu=Ear Muffs",
            "Beyaz=White | Sarı=Yellow | Kırmızı=Red | Mavi=Blue | Turuncu=Orange | Şeffaf=Clear",
            "Standart=Standard | Profesyonel=Professional")),
        Leaf("ISG-MSK", "Maskeler=Masks", "ADET", (15, 900), "{0} {1} {2}", (
            "Toz Maskesi FFP1=Dust Mask FFP1 | Toz Maskesi FFP2=Dust Mask FFP2 | Toz Maskesi FFP3=Dust Mask FFP3"
            " | Yarım Yüz Maske=Half-face Mask | Gaz Filtresi A1=Gas Filter A1 | Gaz Filtresi ABEK1=Gas Filter ABEK1",
            "Ventilli=Valved | Ventilsiz=Unvalved",
            "Tekli=Single | 10'lu Kutu=Box of 10 | 20'li Kutu=Box of 20"), vat=10, batch_managed=True),
    ]),
]
# fmt: on

BRANDS = [
    ("VOLTA", "Volta", ("ELK", "AYD")),
    ("ARMA", "Arma Elektrik", ("ELK", "AYD")),
    ("LUMEX", "Lumex", ("AYD",)),
    ("PARLA", "Parla Aydınlatma", ("AYD",)),
    ("DEMIRTAS", "Demirtaş", ("HRD",)),
    ("KUVVET", "Kuvvet Tools", ("HRD", "BYA", "ISG")),
    ("ZIRH", "Zırh Kilit", ("HRD",)),
    ("RENKSAN", "Renksan Boya", ("BYA",)),
    ("AKAR", "Akar Tesisat", ("TSS",)),
    ("DERYA", "Derya Armatür", ("TSS",)),
    ("KALKAN", "Kalkan İSG", ("ISG",)),
]
