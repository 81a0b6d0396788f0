"""The demo's places and catalogue: the two pilot municipalities (Mjölby
and Kalmar), their venues, the agencies, topics, e-services and things to
try, and the demo logins with their roles. Loaded by ``seed_demo``
(``visitors/management/commands``), which also loads the schedule
(``sessions.demo``) and the visit logs (``visitors.demo``).

Idempotent: every row is found by its slug and only written when something
differs, so running it twice changes and duplicates nothing. Staff names
are invented.
"""

import dataclasses

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import translation

from agencies.models import (
    Agency,
    AgencyKind,
    AgencyLevel,
    EService,
    Membership,
    Municipality,
    Role,
    Topic,
    TryItem,
    TryItemKind,
    Venue,
)
from agencies.permissions import COORDINATORS_GROUP, PROJECT_LEADS_GROUP

DEMO_PASSWORD = "demo"

MUNICIPALITIES = [
    {
        "slug": "mjolby",
        "name": "Mjölby",
        "formal_name": "Mjölby kommun",
        "region": "Östergötlands län",
        "contact_email": "e-serviceverkstad.mjolby@example.org",
    },
    {
        "slug": "kalmar",
        "name": "Kalmar",
        "formal_name": "Kalmar kommun",
        "region": "Kalmar län",
        "contact_email": "e-serviceverkstad.kalmar@example.org",
    },
]

VENUES = [
    {
        "slug": "mjolby-bibliotek",
        "municipality": "mjolby",
        "name": "Mjölby bibliotek",
        "room": "Digitala verkstaden",
        "address": "Stadshuset, Burensköldsvägen 11, 595 80 Mjölby",
        "opening_hours": "Måndag–torsdag 10–19\nFredag 10–17\nLördag 11–14\nSöndag stängt",
        "opening_hours_en": "Monday–Thursday 10–19\nFriday 10–17\nSaturday 11–14\nSunday closed",
        "accessibility": (
            "Entrén ligger i markplan och har automatisk dörröppnare. Biblioteket delar entré med "
            "medborgarservice. Tillgänglig toalett finns vid lånedisken. Den digitala verkstaden har "
            "hörslinga och höj- och sänkbara bord. Två parkeringsplatser för personer med "
            "funktionsnedsättning finns vid huvudentrén."
        ),
        "accessibility_en": (
            "The entrance is at street level with an automatic door. The library shares its entrance "
            "with the citizen service centre. There is an accessible toilet by the loans desk. The "
            "digital workshop has a hearing loop and height-adjustable desks. Two disabled parking "
            "spaces are by the main entrance."
        ),
        "directions": (
            "Biblioteket ligger i Stadshuset, fem minuters promenad från Mjölby resecentrum. Gå in "
            "genom huvudentrén. Den digitala verkstaden är rummet med glasdörrar alldeles bredvid "
            "lånedisken."
        ),
        "directions_en": (
            "The library is in the town hall (Stadshuset), a five-minute walk from Mjölby travel "
            "centre. Go in through the main entrance. The digital workshop is the room with glass "
            "doors right next to the loans desk."
        ),
    },
    {
        "slug": "kalmar-stadsbibliotek",
        "municipality": "kalmar",
        "name": "Kalmar stadsbibliotek",
        "room": "Digitala verkstaden, plan 2",
        "address": "Tullslätten 4, 392 33 Kalmar",
        "opening_hours": "Måndag–torsdag 10–20\nFredag 10–18\nLördag 11–16\nSöndag 13–16 (september–maj)",
        "opening_hours_en": (
            "Monday–Thursday 10–20\nFriday 10–18\nSaturday 11–16\nSunday 13–16 (September–May)"
        ),
        "accessibility": (
            "Ramp och automatisk dörr vid entrén från Tullslätten. Hiss till plan 2, där den digitala "
            "verkstaden ligger. Tillgänglig toalett på varje plan. Hörslinga i verkstaden och i "
            "hörsalen. Ledarhundar är välkomna."
        ),
        "accessibility_en": (
            "Ramp and automatic door at the entrance from Tullslätten. Lift to floor 2, where the "
            "digital workshop is. Accessible toilets on every floor. Hearing loop in the workshop and "
            "in the lecture hall. Guide dogs are welcome."
        ),
        "directions": (
            "Stadsbiblioteket ligger vid Tullslätten, tio minuters promenad från Kalmar central. "
            "Stadsbussarna stannar vid hållplatsen Tullslätten. Ta hissen eller trappan till plan 2 och "
            "följ skyltarna mot Digitala verkstaden."
        ),
        "directions_en": (
            "The city library is at Tullslätten, a ten-minute walk from Kalmar central station. City "
            "buses stop at Tullslätten. Take the lift or the stairs to floor 2 and follow the signs to "
            "the Digital workshop."
        ),
    },
]

AGENCIES = [
    {
        "slug": "mjolby-bibliotek",
        "name": "Mjölby bibliotek",
        "name_en": "Mjölby Library",
        "kind": AgencyKind.LIBRARY,
        "level": AgencyLevel.MUNICIPAL,
        "municipality": "mjolby",
        "colour": "#1f5f8b",
        "description": (
            "Bibliotekarierna hjälper dig att komma i gång med dator, mobil, e-post och BankID, och "
            "visar var du hittar rätt e-tjänst."
        ),
        "description_en": (
            "The librarians help you get started with computers, phones, e-mail and BankID, and show "
            "you where to find the right e-service."
        ),
        "website": "https://www.mjolby.se",
    },
    {
        "slug": "mjolby-barnomsorg",
        "name": "Utbildningsförvaltningen – barnomsorg",
        "name_en": "Education Administration – Childcare",
        "kind": AgencyKind.CHILDCARE,
        "level": AgencyLevel.MUNICIPAL,
        "municipality": "mjolby",
        "colour": "#8a3b12",
        "description": (
            "Vi svarar på frågor om förskola, kö och skolval. Vi hjälper dig också att fylla i "
            "e-tjänsten rätt."
        ),
        "description_en": (
            "Case officers from childcare answer questions about preschool places, the queue and school "
            "choice, and help you fill in the e-service correctly."
        ),
        "website": "https://www.mjolby.se",
    },
    {
        "slug": "mjolby-studie-och-yrkesvagledning",
        "name": "Studie- och yrkesvägledning",
        "name_en": "Study and Careers Guidance",
        "kind": AgencyKind.EDUCATION,
        "level": AgencyLevel.MUNICIPAL,
        "municipality": "mjolby",
        "colour": "#5b2a86",
        "description": (
            "Studievägledaren hjälper dig att hitta en utbildning, söka till Komvux eller SFI och "
            "ansöka om studiemedel."
        ),
        "description_en": (
            "The study counsellor helps you find a course, apply to adult education or Swedish for "
            "immigrants, and apply for student finance."
        ),
        "website": "https://www.mjolby.se",
    },
    {
        "slug": "mjolby-medborgarservice",
        "name": "Medborgarservice Mjölby",
        "name_en": "Mjölby Citizen Service",
        "kind": AgencyKind.CITIZEN_SERVICE,
        "level": AgencyLevel.MUNICIPAL,
        "municipality": "mjolby",
        "colour": "#1d6b45",
        "description": (
            "Vi svarar på frågor om kommunen. Vi hjälper dig också med e-tjänster, till exempel för "
            "bygglov och ekonomiskt bistånd."
        ),
        "description_en": (
            "Citizen service answers questions about the municipality's services and helps you with "
            "e-services such as building permits and financial assistance."
        ),
        "website": "https://www.mjolby.se",
    },
    {
        "slug": "kalmar-stadsbibliotek",
        "name": "Kalmar stadsbibliotek",
        "name_en": "Kalmar City Library",
        "kind": AgencyKind.LIBRARY,
        "level": AgencyLevel.MUNICIPAL,
        "municipality": "kalmar",
        "colour": "#0b5563",
        "description": (
            "I digitala verkstaden får du hjälp med dator, mobil och e-tjänster, och du kan testa ny "
            "teknik innan du köper."
        ),
        "description_en": (
            "In the digital workshop you get help with computers, phones and e-services, and you can "
            "try new technology before you buy it."
        ),
        "website": "https://kalmar.se",
    },
    {
        "slug": "kalmar-kontaktcenter",
        "name": "Kontaktcenter Kalmar kommun",
        "name_en": "Kalmar Municipality Contact Centre",
        "kind": AgencyKind.CITIZEN_SERVICE,
        "level": AgencyLevel.MUNICIPAL,
        "municipality": "kalmar",
        "colour": "#6b4e16",
        "description": "Vi hjälper dig att hitta rätt e-tjänst hos kommunen och att använda den.",
        "description_en": "The contact centre helps you find and use the municipality's e-services.",
        "website": "https://kalmar.se",
    },
    {
        "slug": "skatteverket",
        "name": "Skatteverket",
        "name_en": "Swedish Tax Agency",
        "name_ar": "مصلحة الضرائب",
        "name_fa": "اداره مالیات",
        "name_so": "Hay'adda Canshuuraha",
        "name_ti": "ቤት ጽሕፈት ግብሪ",
        "name_uk": "Податкова служба",
        "kind": AgencyKind.TAX_AGENCY,
        "level": AgencyLevel.NATIONAL,
        "municipality": None,
        "colour": "#7a1f3d",
        "description": (
            "Vi hjälper dig att deklarera, anmäla flytt, beställa personbevis och skaffa e-legitimation."
        ),
        "description_en": "Help with your tax return, reporting a move, population certificates and e-ID.",
        "website": "https://www.skatteverket.se",
    },
    {
        "slug": "arbetsformedlingen",
        "name": "Arbetsförmedlingen",
        "name_en": "Swedish Public Employment Service",
        "kind": AgencyKind.EMPLOYMENT_SERVICE,
        "level": AgencyLevel.NATIONAL,
        "municipality": None,
        "colour": "#00573f",
        "description": (
            "Hjälp att skriva in dig, lämna aktivitetsrapport, skriva cv och söka jobb i Platsbanken."
        ),
        "description_en": (
            "Help to register as a job seeker, send your activity report, write a CV and search for "
            "jobs in Platsbanken."
        ),
        "website": "https://arbetsformedlingen.se",
    },
    {
        "slug": "forsakringskassan",
        "name": "Försäkringskassan",
        "name_en": "Swedish Social Insurance Agency",
        "kind": AgencyKind.SOCIAL_INSURANCE,
        "level": AgencyLevel.NATIONAL,
        "municipality": None,
        "colour": "#3d4f7d",
        "description": "Hjälp med föräldrapenning, vab och bostadsbidrag på Mina sidor.",
        "description_en": (
            "Help with parental benefit, care of a sick child and housing allowance on My pages."
        ),
        "website": "https://www.forsakringskassan.se",
    },
]

# slug, Swedish name, English name, Swedish search words, English search words
TOPICS = [
    ("forskoleplats", "Förskoleplats", "Preschool place",
     "förskola, dagis, barnomsorg, kö, tacka ja, erbjudande, placering, fritids, fritidshem",
     "preschool, nursery, childcare, kindergarten, daycare, day care, after-school care, queue, "
     "accept a place, offer"),
    ("skolval", "Skolval", "School choice",
     "välja skola, grundskola, förskoleklass, byta skola",
     "choose a school, primary school, preschool class, change school"),
    ("bankid", "BankID", "BankID",
     "mobilt bankid, bankid, legitimera, logga in, banken",
     "mobile bankid, identify, log in, bank"),
    ("e-legitimation", "E-legitimation", "Electronic ID",
     "e-legitimation, freja, freja eid, id-kort, logga in",
     "e-id, electronic identification, freja eid, id card, log in"),
    ("mina-sidor", "Mina sidor", "My pages",
     "mina sidor, logga in, mitt konto, mina ärenden, meddelanden",
     "my pages, log in, my account, my cases, messages"),
    ("deklaration", "Deklaration", "Tax return",
     "deklarera, skatt, skatter, inkomstdeklaration, skatteåterbäring, avdrag",
     "tax, taxes, income tax return, declare, tax refund, deductions"),
    ("soka-jobb", "Söka jobb", "Applying for jobs",
     "jobb, arbete, ansöka om jobb, cv, personligt brev, platsbanken, aktivitetsrapport, arbetslös, "
     "arbetssökande, skriva in sig",
     "job, jobs, work, job search, apply for a job, cv, resume, cover letter, activity report, "
     "unemployed, unemployment, employment office, job centre, register as a job seeker"),
    ("bygglov", "Bygglov", "Building permit",
     "bygglov, bygga, attefall, altan, ritning, anmälan",
     "building permit, planning permission, build, extension, drawings"),
    ("forsorjningsstod", "Försörjningsstöd", "Income support",
     "försörjningsstöd, ekonomiskt bistånd, socialbidrag, pengar",
     "income support, financial assistance, welfare, benefit"),
    ("foraldrapenning", "Föräldrapenning och vab", "Parental benefit and care of a sick child",
     "föräldrapenning, föräldraledig, vab, vård av barn, barnbidrag",
     "parental benefit, parental leave, care of a sick child, child allowance"),
    ("studier", "Studier och utbildning", "Studies and education",
     "komvux, vuxenutbildning, sfi, lära sig svenska, svenska för invandrare, csn, studiemedel, "
     "studielån, utbildning",
     "adult education, swedish for immigrants, learn swedish, swedish lessons, student finance, "
     "student loan, course"),
    ("e-bocker", "Låna e-böcker", "Borrowing e-books",
     "e-bok, ljudbok, låna, lånekort, app",
     "e-book, audiobook, borrow, library card, app"),
    ("dator-och-mobil", "Dator och mobil", "Computer and phone",
     "dator, mobil, mobiltelefon, telefon, smarttelefon, surfplatta, e-post, mejl, lösenord, appar, wifi",
     "computer, phone, mobile phone, smartphone, tablet, e-mail, password, apps, wifi"),
    ("digital-brevlada", "Digital brevlåda", "Digital mailbox",
     "digital brevlåda, kivra, min myndighetspost, post från myndigheter",
     "digital mailbox, kivra, mail from authorities"),
    ("flytt", "Flytt och adressändring", "Moving and change of address",
     "flytta, flyttanmälan, adressändring, ny adress, folkbokföring, personbevis",
     "moving house, move, change of address, new address, population register, personal certificate"),
    ("sjukpenning", "Sjukpenning", "Sick pay",
     "sjuk, sjukskriven, sjukskrivning, sjukanmälan, sjukersättning, läkarintyg",
     "sick, sick leave, sickness benefit, off sick, sick note, doctor's certificate"),
    ("bostadsbidrag", "Bostadsbidrag", "Housing allowance",
     "bostadsbidrag, bostadstillägg, bidrag till hyran, hyra",
     "housing allowance, housing benefit, help with the rent, rent"),
]  # fmt: skip

BANKID_SV = "Ditt BankID eller annan e-legitimation i mobilen."
BANKID_EN = "Your BankID or other e-ID on your phone."

ESERVICES = [
    {
        "slug": "mjolby-tacka-ja-forskoleplats",
        "agency": "mjolby-barnomsorg",
        "name": "Tacka ja till förskoleplats",
        "name_en": "Accept a preschool place",
        "topics": ["forskoleplats"],
        "what_to_bring": f"{BANKID_SV} Brevet eller mejlet med erbjudandet om plats.",
        "what_to_bring_en": f"{BANKID_EN} The letter or e-mail with the offer of a place.",
    },
    {
        "slug": "mjolby-ansok-forskoleplats",
        "agency": "mjolby-barnomsorg",
        "name": "Ansöka om förskoleplats",
        "name_en": "Apply for a preschool place",
        "topics": ["forskoleplats"],
        "what_to_bring": f"{BANKID_SV} Barnets personnummer och datum då du vill att platsen börjar.",
        "what_to_bring_en": (
            f"{BANKID_EN} Your child's personal identity number and the date you want the place to start."
        ),
    },
    {
        "slug": "mjolby-skolval",
        "agency": "mjolby-barnomsorg",
        "name": "Skolval till förskoleklass",
        "name_en": "School choice for preschool class",
        "topics": ["skolval"],
        "what_to_bring": f"{BANKID_SV} Namnen på de skolor du vill välja mellan.",
        "what_to_bring_en": f"{BANKID_EN} The names of the schools you want to choose between.",
    },
    {
        "slug": "mjolby-ansok-komvux",
        "agency": "mjolby-studie-och-yrkesvagledning",
        "name": "Ansöka till Komvux",
        "name_en": "Apply to adult education (Komvux)",
        "topics": ["studier"],
        "what_to_bring": f"{BANKID_SV} Betyg från din tidigare skola, om du har dem.",
        "what_to_bring_en": f"{BANKID_EN} Grades from your earlier school, if you have them.",
    },
    {
        "slug": "mjolby-bygglov",
        "agency": "mjolby-medborgarservice",
        "name": "Ansöka om bygglov",
        "name_en": "Apply for a building permit",
        "topics": ["bygglov"],
        "what_to_bring": f"{BANKID_SV} Ritningar eller skisser, gärna som bild eller pdf i mobilen.",
        "what_to_bring_en": f"{BANKID_EN} Drawings or sketches, preferably as photos or PDFs on your phone.",
    },
    {
        "slug": "mjolby-ekonomiskt-bistand",
        "agency": "mjolby-medborgarservice",
        "name": "Ansöka om ekonomiskt bistånd",
        "name_en": "Apply for financial assistance",
        "topics": ["forsorjningsstod"],
        "what_to_bring": f"{BANKID_SV} Papper som visar dina inkomster och kostnader, till exempel hyresavi.",
        "what_to_bring_en": f"{BANKID_EN} Papers about your income and costs, for example your rent notice.",
    },
    {
        "slug": "mjolby-lana-e-bocker",
        "agency": "mjolby-bibliotek",
        "name": "Låna e-böcker och e-ljudböcker",
        "name_en": "Borrow e-books and audiobooks",
        "topics": ["e-bocker", "dator-och-mobil"],
        "what_to_bring": "Ditt lånekort och din PIN-kod. Mobilen eller surfplattan du vill läsa på.",
        "what_to_bring_en": "Your library card and PIN. The phone or tablet you want to read on.",
    },
    {
        "slug": "kalmar-lana-e-bocker",
        "agency": "kalmar-stadsbibliotek",
        "name": "Låna e-böcker",
        "name_en": "Borrow e-books",
        "topics": ["e-bocker"],
        "what_to_bring": "Ditt lånekort och din PIN-kod. Mobilen eller surfplattan du vill läsa på.",
        "what_to_bring_en": "Your library card and PIN. The phone or tablet you want to read on.",
    },
    {
        "slug": "kalmar-bygglov",
        "agency": "kalmar-kontaktcenter",
        "name": "E-tjänst för bygglov",
        "name_en": "Building permit e-service",
        "topics": ["bygglov"],
        "what_to_bring": f"{BANKID_SV} Fastighetsbeteckningen och ritningar, om du har dem.",
        "what_to_bring_en": f"{BANKID_EN} The property designation and drawings, if you have them.",
    },
    {
        "slug": "skatteverket-inkomstdeklaration",
        "agency": "skatteverket",
        "name": "Inkomstdeklaration",
        "name_en": "Income tax return",
        "topics": ["deklaration", "mina-sidor"],
        "what_to_bring": f"{BANKID_SV} Kvitton eller papper om du vill ändra något i deklarationen.",
        "what_to_bring_en": f"{BANKID_EN} Receipts or papers if you want to change something in the return.",
    },
    {
        "slug": "skatteverket-digital-brevlada",
        "agency": "skatteverket",
        "name": "Skaffa digital brevlåda",
        "name_en": "Get a digital mailbox",
        "topics": ["digital-brevlada", "e-legitimation"],
        "what_to_bring": BANKID_SV,
        "what_to_bring_en": BANKID_EN,
    },
    {
        "slug": "arbetsformedlingen-aktivitetsrapport",
        "agency": "arbetsformedlingen",
        "name": "Lämna aktivitetsrapport",
        "name_en": "Send your activity report",
        "topics": ["soka-jobb", "mina-sidor"],
        "what_to_bring": f"{BANKID_SV} En lista över jobben du har sökt den här månaden.",
        "what_to_bring_en": f"{BANKID_EN} A list of the jobs you applied for this month.",
    },
    {
        "slug": "arbetsformedlingen-platsbanken",
        "agency": "arbetsformedlingen",
        "name": "Söka jobb i Platsbanken",
        "name_en": "Search for jobs in Platsbanken",
        "topics": ["soka-jobb"],
        "what_to_bring": "Ditt cv, på papper eller i mobilen, om du har ett.",
        "what_to_bring_en": "Your CV, on paper or on your phone, if you have one.",
    },
    {
        "slug": "forsakringskassan-foraldrapenning",
        "agency": "forsakringskassan",
        "name": "Ansöka om föräldrapenning",
        "name_en": "Apply for parental benefit",
        "topics": ["foraldrapenning", "mina-sidor"],
        "what_to_bring": f"{BANKID_SV} Datumen du vill vara ledig.",
        "what_to_bring_en": f"{BANKID_EN} The dates you want to be on leave.",
    },
]


# The topics in the residents' other languages: a name and the search words
# people type (the help finder matches every language's). Written for the
# demo and not yet reviewed by native speakers (docs/translations.md).
TOPIC_TRANSLATIONS = {
    "forskoleplats": {
        "ar": ("مكان في الروضة", "روضة، روضة أطفال، حضانة، رعاية الأطفال، مدرسة تمهيدية"),
        "fa": ("جای پیش‌دبستانی", "پیش‌دبستانی، مهدکودک، کودکستان، نگهداری کودک"),
        "so": ("Meel xanaanada carruurta", "xanaano, xanaanada carruurta, dugsi barbaarin, carruur"),
        "ti": ("ቦታ መዋእለ ህጻናት", "መዋእለ ህጻናት, ህጻናት, ክንክን ህጻናት"),
        "uk": ("Місце в дитячому садку", "дитячий садок, садочок, дитсадок, догляд за дітьми"),
    },
    "bankid": {
        "ar": ("بنك آيدي", "بنك آيدي، بنك اي دي، هوية إلكترونية، تسجيل الدخول، البنك"),
        "fa": ("بانک آیدی", "بانک آیدی، هویت الکترونیکی، ورود، بانک"),
        "so": ("BankID", "bank id, aqoonsi elektaroonig, gal, bangiga"),
        "ti": ("ባንክ ኣይዲ", "ባንክ ኣይዲ, መንነት, ባንኪ"),
        "uk": ("BankID", "банк айді, банківський айді, електронна ідентифікація, увійти, банк"),
    },
    "deklaration": {
        "ar": ("الإقرار الضريبي", "ضريبة، ضرائب، إقرار ضريبي، استرداد الضريبة"),
        "fa": ("اظهارنامه مالیاتی", "مالیات، اظهارنامه، بازپرداخت مالیات"),
        "so": ("Cadeynta canshuurta", "canshuur, cashuur, dakhli"),
        "ti": ("መግለጺ ግብሪ", "ግብሪ, እቶት"),
        "uk": ("Податкова декларація", "податки, податок, декларація, повернення податку"),
    },
    "soka-jobb": {
        "ar": ("البحث عن عمل", "عمل، وظيفة، سيرة ذاتية، مكتب العمل"),
        "fa": ("جستجوی کار", "کار، شغل، رزومه، اداره کار"),
        "so": ("Raadinta shaqo", "shaqo, shaqo raadin, cv"),
        "ti": ("ስራሕ ምድላይ", "ስራሕ, ሲቪ"),
        "uk": ("Пошук роботи", "робота, пошук роботи, резюме, центр зайнятості"),
    },
}


# The "try" part: technology residents may try before buying. (venue, kind,
# Swedish name, English name, Swedish description, English description,
# whether staff must be present)
TRY_ITEMS = [
    ("kalmar-stadsbibliotek", TryItemKind.E_READER, "Läsplatta", "E-reader",
     "Läs en e-bok från biblioteket på en läsplatta med stor text och ljus som går att ställa in.",
     "Read a library e-book on an e-reader with large text and adjustable light.", False),
    ("kalmar-stadsbibliotek", TryItemKind.TABLET, "Surfplatta med stora ikoner", "Tablet with large icons",
     "En surfplatta inställd för att vara lätt att komma i gång med: stora ikoner och färre appar.",
     "A tablet set up to be easy to start with: large icons and fewer apps.", True),
    ("kalmar-stadsbibliotek", TryItemKind.SMART_SPEAKER, "Smart högtalare", "Smart speaker",
     "Be högtalaren om väder, radio eller en påminnelse, och hör hur den fungerar på svenska.",
     "Ask the speaker for the weather, the radio or a reminder, and hear how it works in Swedish.", True),
    ("kalmar-stadsbibliotek", TryItemKind.SAFETY_ALARM, "Trygghetslarm", "Safety alarm",
     "Prova ett trygghetslarm som armband och se hur ett larm går fram. Personalen visar.",
     "Try a safety alarm worn as a bracelet and see how an alarm gets through. Staff show you.", True),
    ("mjolby-bibliotek", TryItemKind.HEARING_LOOP, "Bärbar hörslinga", "Portable hearing loop",
     "Prova en bärbar hörslinga med din hörapparat. Fråga i lånedisken, så kopplar vi in den.",
     "Try a portable hearing loop with your hearing aid. Ask at the loans desk and we connect it.", False),
    ("mjolby-bibliotek", TryItemKind.E_READER, "Läsplatta", "E-reader",
     "Låna en läsplatta i biblioteket en stund och prova att läsa med större text.",
     "Borrow an e-reader in the library for a while and try reading with larger text.", False),
    ("mjolby-bibliotek", TryItemKind.SMARTPHONE, "Seniormobil", "Easy-to-use phone",
     "En mobil med stora knappar och nödknapp. Prova att ringa och skicka sms.",
     "A phone with large buttons and an emergency button. Try calling and texting.", False),
]  # fmt: skip


@dataclasses.dataclass
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str
    scope: str = ""
    description: str = ""


USERS = [
    DemoUser("admin", "Henrik", "Ålund", "superuser", description="superuser"),
    DemoUser("koordinator.mjolby", "Lena", "Björklund", Role.COORDINATOR, "mjolby", "coordinator, Mjölby"),
    DemoUser("koordinator.kalmar", "Amir", "Haddad", Role.COORDINATOR, "kalmar", "coordinator, Kalmar"),
    DemoUser("personal.mjolby", "Sofia", "Ek", Role.STAFF, "mjolby-barnomsorg", "staff, Mjölby childcare"),
    DemoUser("projektledare", "Ingrid", "Sjöberg", Role.PROJECT_LEAD, description="project lead"),
]


def same_value(obj, name, value):
    if isinstance(value, models.Model):
        # Compare keys: reading an unset foreign key raises on a new row.
        return getattr(obj, f"{name}_id") == value.pk
    return getattr(obj, name) == value


def assign(obj, fields):
    """Set ``fields`` on ``obj``; True if any value differed."""
    changed = False
    for name, value in fields.items():
        if not same_value(obj, name, value):
            setattr(obj, name, value)
            changed = True
    return changed


def upsert(model, lookup, fields, create_only=None):
    """Find by ``lookup``, create or update, validate, and save only when
    something changed, so a second run writes nothing. In Swedish: a plain
    ``name`` is the Swedish text (modeltranslation reads and writes the
    active language's)."""
    with translation.override("sv"):
        return _upsert(model, lookup, fields, create_only)


def _upsert(model, lookup, fields, create_only):
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **(create_only or {}))
    if assign(obj, fields) or obj.pk is None:
        obj.full_clean()
        obj.save()
    return obj


def by_slug(model, slugs):
    return list(model.objects.filter(slug__in=slugs))


def load_places():
    for data in MUNICIPALITIES:
        upsert(Municipality, {"slug": data["slug"]}, data)
    for data in VENUES:
        fields = {**data, "municipality": Municipality.objects.get(slug=data["municipality"])}
        upsert(Venue, {"slug": data["slug"]}, fields)


def load_catalogue():
    for data in AGENCIES:
        municipality = data["municipality"] and Municipality.objects.get(slug=data["municipality"])
        upsert(Agency, {"slug": data["slug"]}, {**data, "municipality": municipality})
    for slug, name, name_en, keywords, keywords_en in TOPICS:
        fields = {"name": name, "name_en": name_en, "keywords": keywords, "keywords_en": keywords_en}
        for language, (translated_name, translated_keywords) in TOPIC_TRANSLATIONS.get(slug, {}).items():
            fields[f"name_{language}"], fields[f"keywords_{language}"] = translated_name, translated_keywords
        upsert(Topic, {"slug": slug}, fields)
    for data in ESERVICES:
        fields = {key: value for key, value in data.items() if key != "topics"}
        fields["agency"] = Agency.objects.get(slug=data["agency"])
        eservice = upsert(EService, {"slug": data["slug"]}, fields)
        eservice.topics.set(by_slug(Topic, data["topics"]))
    for venue_slug, kind, name, name_en, description, description_en, staffed in TRY_ITEMS:
        fields = {
            "kind": kind,
            "name_en": name_en,
            "description": description,
            "description_en": description_en,
            "staff_must_be_present": staffed,
        }
        upsert(TryItem, {"venue": Venue.objects.get(slug=venue_slug), "name": name}, fields)


def load_logins(groups):
    """The demo logins (one per role), their memberships and groups; for
    demos only (``seed_demo`` makes them with DEBUG on)."""
    for demo in USERS:
        user = _load_user(demo)
        _load_membership(user, demo)
        if demo.role == Role.COORDINATOR:
            user.groups.add(groups[COORDINATORS_GROUP])
        elif demo.role == Role.PROJECT_LEAD:
            user.groups.add(groups[PROJECT_LEADS_GROUP])
    return USERS


def _load_user(demo):
    fields = {
        "first_name": demo.first_name,
        "last_name": demo.last_name,
        "email": f"{demo.username}@example.org",
        # Coordinators and the project lead work in the admin.
        "is_staff": demo.role in ("superuser", Role.COORDINATOR, Role.PROJECT_LEAD),
        "is_superuser": demo.role == "superuser",
    }
    user = upsert(get_user_model(), {"username": demo.username}, fields, {"password": "!"})
    if not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _load_membership(user, demo):
    scope = {}
    if demo.role == Role.COORDINATOR:
        scope["municipality"] = Municipality.objects.get(slug=demo.scope)
    elif demo.role == Role.STAFF:
        scope["agency"] = Agency.objects.get(slug=demo.scope)
    elif demo.role != Role.PROJECT_LEAD:
        return
    Membership.objects.get_or_create(user=user, role=demo.role, **scope)


# What the demo's report counts, lowest app first.
COUNTED = (Municipality, Venue, Agency, Topic, EService, TryItem)
