-- 0008: facts staff assess after the intake, read by the eligibility rules
-- (bot/sops/rules/eligibility.toml): NULL = not assessed yet, 0 = no, 1 = yes.
ALTER TABLE cases ADD COLUMN perpetrator_child INTEGER;
ALTER TABLE cases ADD COLUMN kdrt_severe INTEGER;
