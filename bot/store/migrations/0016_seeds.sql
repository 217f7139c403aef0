-- 0010: seed fidelity. A child party's parent / guardian / companion at the mediation may not
-- be the reported party (Pasuruan step 5): recorded so the rule can refuse it.
ALTER TABLE mediation_parties ADD COLUMN guardian_is_terlapor INTEGER NOT NULL DEFAULT 0;
