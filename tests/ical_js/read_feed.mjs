// Reads an iCalendar file with Mozilla's ical.js and prints each event's UID,
// time zone and UTC start as JSON, so tests/test_calendar_feed.py can compare a second,
// independent parser with the icalendar package and the week page.
// ical.js takes each TZID from the file's own VTIMEZONE, as Thunderbird and
// many web calendars do, so a VTIMEZONE it misreads shows up here.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const calendar = new ICAL.Component(ICAL.parse(readFileSync(process.argv[2], "utf8")));
const events = calendar.getAllSubcomponents("vevent").map((component) => {
    const event = new ICAL.Event(component);
    const start = event.startDate;
    return { uid: event.uid, zone: start.zone.tzid, start: new Date(start.toUnixTime() * 1000).toISOString() };
});
process.stdout.write(JSON.stringify(events));
