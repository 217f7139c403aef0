-- 0017: services on the case plan started through a record's use case rather than an SOP:
-- an outreach, a referral (also the court protection order and the return home) and a shelter
-- stay. `record` names it ("outreach:<id>", "referral:<id>", "stay:<id>"); the service ends
-- when the record says so (the visit, the closing fact, the discharge), or by hand.
ALTER TABLE case_services ADD COLUMN record TEXT;
CREATE INDEX case_services_record ON case_services (record) WHERE record IS NOT NULL;
-- the shelter's daily check-in: the last one recorded
ALTER TABLE shelter_stays ADD COLUMN checked_in_at TEXT;
