"""SOP files: the shipped ones load, broken ones fail precisely, the CLI reports both."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import load_offices
from bot.domain.duration import Duration, Unit
from bot.domain.office import Role
from bot.domain.sop import END, SopError, check_offices, load_all, load_sop
from bot.sops_cli import SOPS_DIR, mermaid, sops_check, sops_show

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_OFFICES = ROOT / "config" / "offices.example.toml"
SEEDS = ROOT.parent / "shared" / "seeds"


SHIPPED = load_all(SOPS_DIR)


class TestShipped:
    def test_every_file_loads_under_its_key(self) -> None:
        files = {p.stem for p in SOPS_DIR.glob("*.toml")}
        assert set(SHIPPED) == files
        assert {
            "tng_mediasi",
            "tng_pendampingan_korban",
            "tng_pengelolaan_kasus",
            "pkl_mediasi",
            "psr_mediasi",
            "glue_first_response",
        } <= files

    @pytest.mark.parametrize(
        ("key", "count"),
        [
            ("tng_mediasi", 5),
            ("tng_pendampingan_korban", 5),
            ("tng_pengelolaan_kasus", 4),
            ("pkl_mediasi", 8),
            ("psr_mediasi", 10),
        ],
    )
    def test_step_counts_follow_the_seeds(self, key: str, count: int) -> None:
        sop = SHIPPED[key]
        assert len(sop.steps) == count
        assert sop.seed
        first_line = (SOPS_DIR / f"{key}.toml").read_text(encoding="utf-8").splitlines()[0]
        assert first_line.startswith("# Seed:")
        assert sop.seed in first_line
        if SEEDS.is_dir():
            assert (SEEDS / sop.seed).is_file()

    def test_pekalongan_branches(self) -> None:
        sop = SHIPPED["pkl_mediasi"]
        decide = sop.step("decide")
        assert set(decide.outcomes) == {"accepted", "rejected"}
        assert sop.step(decide.next("accepted")).output_document == "surat_undangan_mediasi"
        notify = sop.step(decide.next("rejected"))
        assert notify.output_document == "surat_pemberitahuan"
        assert sop.step("coordinate").next("not_cooperative") == notify.key
        assert notify.next() == END
        assert sop.total == Duration(14, Unit.WORKING_DAYS)
        assert sop.nominal_total() == (Duration(14, Unit.WORKING_DAYS),)
        up_to_letter = [s.duration.value for s in sop.main_path()[:4]]
        assert sum(up_to_letter) == 5  # the decision within 5 working days
        with pytest.raises(KeyError, match="no outcome"):
            decide.next()

    def test_pasuruan_requirements_and_termination(self) -> None:
        sop = SHIPPED["psr_mediasi"]
        invite = sop.steps[4]
        assert set(invite.requires) == {
            "child_party_needs_guardian",
            "special_needs_party_needs_companion",
        }
        assert sop.step("mediate").output_document == "berita_acara_mediasi"
        decision = sop.step("report_monitoring")
        assert decision.deciders == (Role.MANAJER_KASUS,)
        assert decision.next("continue_monitoring") == "monitor"
        assert sop.total == Duration(14, Unit.CALENDAR_DAYS)
        assert sop.nominal_total() == (sop.total,)

    def test_tangerang_readings(self) -> None:
        pendampingan = SHIPPED["tng_pendampingan_korban"]
        assert all(s.alt_duration is not None for s in pendampingan.steps)
        assert pendampingan.steps[0].duration == Duration(1, Unit.HOURS)
        kasus = SHIPPED["tng_pengelolaan_kasus"]
        assert kasus.steps[0].duration == Duration(1, Unit.WORKING_DAYS)
        assert kasus.steps[1].actors == (Role.KONSELOR_HUKUM, Role.PSIKOLOG, Role.MEDIATOR)
        mediasi = SHIPPED["tng_mediasi"]
        assert mediasi.step("mediate").extendable
        # 2 h + 30 min + 20 min of office time, 2 working days
        assert mediasi.nominal_total() == (
            Duration(2, Unit.WORKING_DAYS),
            Duration(170, Unit.MINUTES),
        )

    def test_glue_hands_over_through_services(self) -> None:
        glue = SHIPPED["glue_first_response"]
        first = glue.step(glue.first_step)
        assert first.actors == (Role.PETUGAS,)
        assert first.duration_from == "office.first_response"
        assert glue.handovers() == {"tng_pengelolaan_kasus", "mediation", "accompaniment"}
        assert glue.step("case_management").next("mediation") == "sop:mediation"

    def test_roles_are_collected(self) -> None:
        roles = SHIPPED["tng_pengelolaan_kasus"].roles()
        assert Role.PSIKOLOG in roles and Role.ADMIN in roles
        assert Role.PENDAMPING not in roles

    def test_example_offices_are_consistent(self) -> None:
        offices = load_offices(EXAMPLE_OFFICES)
        assert check_offices(offices, SHIPPED) == []

    def test_office_naming_missing_sop_or_service(self) -> None:
        office = load_offices(EXAMPLE_OFFICES)[0]
        broken = replace(office, sops={**office.sops, "mediation": "nope"})
        errors = check_offices([broken], SHIPPED)
        assert errors == [f"office {office.id}: sops.mediation: unknown SOP 'nope'"]
        without = replace(office, sops={"intake": "glue_first_response"})
        errors = check_offices([without], SHIPPED)
        assert len(errors) == 2
        assert any("service 'mediation'" in e for e in errors)
        assert any("service 'accompaniment'" in e for e in errors)


VALID = """\
key = "x"
title = "Test SOP"

[[steps]]
key = "order"
title = "Order"
actors = ["ketua"]
duration = { value = 2, unit = "hours" }
output = "Order given"
transitions = { done = "invite" }

[[steps]]
key = "invite"
title = "Invite"
actors = ["admin"]
duration = { value = 30, unit = "minutes" }
output = "Letter"
transitions = { done = "end" }
"""


def _write(tmp_path: Path, text: str, name: str = "x") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


class TestBroken:
    def test_valid_baseline_loads(self, tmp_path: Path) -> None:
        sop = load_sop(_write(tmp_path, VALID))
        assert [s.key for s in sop.steps] == ["order", "invite"]
        assert sop.nominal_total() == (Duration(150, Unit.MINUTES),)

    @pytest.mark.parametrize(
        ("old", "new", "expected"),
        [
            (
                'value = 30, unit = "minutes"',
                'value = 30, unit = "jam"',
                "step 'invite': field 'duration.unit': unknown unit 'jam'",
            ),
            (
                'value = 30, unit = "minutes"',
                'value = -1, unit = "minutes"',
                "step 'invite': field 'duration.value': a duration cannot be negative",
            ),
            (
                'value = 30, unit = "minutes"',
                'unit = "minutes"',
                "step 'invite': field 'duration.value': missing",
            ),
            (
                'actors = ["admin"]',
                'actors = ["admin", "boss"]',
                "step 'invite': field 'actors[1]': unknown role 'boss'",
            ),
            ('actors = ["admin"]', "actors = []", "step 'invite': field 'actors': needs"),
            (
                'done = "end"',
                'done = "archive"',
                "step 'invite': field 'transitions.done': goes to missing step 'archive'",
            ),
            ('output = "Letter"\n', "", "step 'invite': field 'output': missing"),
            ('key = "invite"', 'key = "order"', "step 'order': field 'key': duplicate step key"),
            ('key = "invite"', "", "step #2: field 'key': missing"),
            ('title = "Test SOP"\n', "", "field 'title': missing"),
            ('key = "x"', 'key = "y"', "field 'key': 'y' must match the file name 'x'"),
            ('output = "Letter"', 'outptu = "Letter"', "step 'invite': field 'outptu': unknown"),
            (
                'output = "Letter"',
                'output = "Letter"\nrequires = ["be_nice"]',
                "step 'invite': field 'requires[0]': unknown rule 'be_nice'",
            ),
            (
                'output = "Letter"',
                'output = "Letter"\noutput_document = "surat_cinta"',
                "step 'invite': field 'output_document': unknown document 'surat_cinta'",
            ),
            ('done = "end"', 'done = "order"', "step 'order': no path to 'end'"),
            ('done = "end"', "", "step 'invite': field 'transitions': needs at least one"),
            ('[[steps]]\nkey = "order"', "[[steps]]\nkey = 'order", "not valid TOML"),
        ],
    )
    def test_precise_errors(self, tmp_path: Path, old: str, new: str, expected: str) -> None:
        assert old in VALID
        path = _write(tmp_path, VALID.replace(old, new, 1))
        with pytest.raises(SopError) as info:
            load_sop(path)
        message = str(info.value)
        assert message.startswith(f"{path}: ")
        assert expected in message

    def test_unreachable_step(self, tmp_path: Path) -> None:
        path = _write(tmp_path, VALID.replace('done = "invite"', 'done = "end"'))
        with pytest.raises(SopError, match=r"step 'invite': unreachable from first step 'order'"):
            load_sop(path)

    def test_message_uses_path_relative_to_cwd(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        (tmp_path / "bot" / "sops").mkdir(parents=True)
        path = _write(tmp_path / "bot" / "sops", VALID.replace('"minutes"', '"jam"'))
        monkeypatch.chdir(tmp_path)
        with pytest.raises(SopError) as info:
            load_sop(path)
        assert str(info.value).startswith(
            "bot/sops/x.toml: step 'invite': field 'duration.unit': unknown unit 'jam'"
        )

    def test_handover_to_unknown_sop(self, tmp_path: Path) -> None:
        _write(tmp_path, VALID.replace('done = "end"', 'done = "sop:nowhere"'))
        with pytest.raises(SopError, match=r"'sop:nowhere' is neither a loaded SOP nor a service"):
            load_all(tmp_path)

    def test_handover_to_service_and_loaded_sop(self, tmp_path: Path) -> None:
        _write(tmp_path, VALID.replace('done = "end"', 'done = "sop:y", other = "sop:mediation"'))
        _write(tmp_path, VALID.replace('key = "x"', 'key = "y"'), name="y")
        loaded = load_all(tmp_path)
        assert loaded["x"].handovers() == {"y", "mediation"}

    def test_empty_directory(self, tmp_path: Path) -> None:
        with pytest.raises(SopError, match="no SOP files"):
            load_all(tmp_path)


class TestCli:
    def test_check_shipped(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert sops_check(SOPS_DIR, EXAMPLE_OFFICES) == 0
        out = capsys.readouterr()
        lines = out.out.splitlines()
        assert len(lines) == len(SHIPPED) + 1  # one line per SOP, then the eligibility rules
        assert out.err == ""
        pkl = next(line for line in lines if line.startswith("pkl_mediasi "))
        assert "offices=PKL " in pkl and "steps=8 " in pkl and "14 working_days" in pkl

    def test_check_broken_dir(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        _write(tmp_path, VALID.replace('["admin"]', '["boss"]'))
        assert sops_check(tmp_path, EXAMPLE_OFFICES) == 2
        err = capsys.readouterr().err
        assert "step 'invite': field 'actors[0]': unknown role 'boss'" in err

    def test_check_office_naming_missing_sop(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        offices = tmp_path / "offices.toml"
        text = EXAMPLE_OFFICES.read_text(encoding="utf-8")
        offices.write_text(text.replace('"pkl_mediasi"', '"pkl_mediasi_v2"'), encoding="utf-8")
        assert sops_check(SOPS_DIR, offices) == 2
        assert "office PKL: sops.mediation: unknown SOP 'pkl_mediasi_v2'" in capsys.readouterr().err

    def test_check_missing_offices_file(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert sops_check(SOPS_DIR, tmp_path / "none.toml") == 2
        assert "not found" in capsys.readouterr().err

    def test_show_prints_table_and_mermaid(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert sops_show("pkl_mediasi", SOPS_DIR) == 0
        out = capsys.readouterr().out
        assert "```mermaid\nflowchart TD\n" in out
        assert "s_decide -->|rejected| s_notify" in out
        assert "s_coordinate -->|not_cooperative| s_notify" in out
        rows = [line for line in out.splitlines() if line[:1].isdigit()]
        assert len(rows) == 8
        column = rows[0].index("petugas")
        assert all(len(r) > column for r in rows)

    def test_show_unknown_key(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert sops_show("nope", SOPS_DIR) == 2
        assert "no SOP 'nope'" in capsys.readouterr().err

    def test_mermaid_handover_nodes(self) -> None:
        text = mermaid(SHIPPED["glue_first_response"])
        assert 'sop_mediation[/"sop:mediation"/]' in text
        assert "s_case_management -->|accompaniment| sop_accompaniment" in text
        assert "END((end))" in text

    def test_show_on_copy_of_shipped_dir(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        target = tmp_path / "sops"
        shutil.copytree(SOPS_DIR, target)
        (target / "tng_mediasi.toml").write_text("key = ", encoding="utf-8")
        assert sops_show("pkl_mediasi", target) == 2
        assert "tng_mediasi.toml: not valid TOML" in capsys.readouterr().err


SESSION = VALID.replace(
    'output = "Letter"\n',
    'output = "Letter"\noutput_document = "surat_undangan_mediasi"\n',
).replace('transitions = { done = "end" }\n', 'transitions = { done = "mediate" }\n') + (
    """
[[steps]]
key = "mediate"
title = "Mediate"
actors = ["mediator"]
duration = { value = 1, unit = "working_days" }
duration_from = "mediation.session"
extendable = true
extension = { value = 1, unit = "working_days" }
output = "Report"
transitions = { done = "end" }
"""
)


class TestSessionAndExtension:
    def test_shipped_session_steps_and_extensions(self) -> None:
        for key in ("tng_mediasi", "pkl_mediasi", "psr_mediasi"):
            assert [s.key for s in SHIPPED[key].steps if s.from_session] == ["mediate"], key
        day = Duration(1, Unit.WORKING_DAYS)
        assert SHIPPED["tng_mediasi"].step("mediate").extra_time == day
        assert SHIPPED["tng_pendampingan_korban"].step("letters").extra_time == day
        # without `extension` an approved extension is the step's own duration again
        order = SHIPPED["tng_mediasi"].step("order")
        assert order.extension is None and order.extra_time == order.duration

    def test_session_and_extension_load(self, tmp_path: Path) -> None:
        step = load_sop(_write(tmp_path, SESSION)).step("mediate")
        assert step.from_session and step.duration_from == "mediation.session"
        assert step.extension == Duration(1, Unit.WORKING_DAYS)

    @pytest.mark.parametrize(
        ("old", "new", "expected"),
        [
            (
                "extendable = true\n",
                "",
                "step 'mediate': field 'extension': needs extendable = true",
            ),
            (
                'extension = { value = 1, unit = "working_days" }',
                'extension = { value = 1, unit = "hari" }',
                "step 'mediate': field 'extension.unit': unknown unit 'hari'",
            ),
            (
                'output_document = "surat_undangan_mediasi"\n',
                "",
                "step 'mediate': field 'duration_from': 'mediation.session': no step before it",
            ),
            (
                'duration_from = "mediation.session"',
                'duration_from = "mediation.sesi"',
                "step 'mediate': field 'duration_from': unknown source 'mediation.sesi'",
            ),
        ],
    )
    def test_precise_errors(self, tmp_path: Path, old: str, new: str, expected: str) -> None:
        assert old in SESSION
        with pytest.raises(SopError) as info:
            load_sop(_write(tmp_path, SESSION.replace(old, new, 1)))
        assert expected in str(info.value)
