"""Tests for the in-memory fake Bot API driven through a real telegram.Bot."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.testing import FakeRequest, FakeTelegram

__all__: list[str] = []

TOKEN = "123456:FAKE-TOKEN"
USER = 4242


@pytest.fixture(autouse=True)
def _timedelta_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's timedelta durations (RetryAfter warns otherwise)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
def fake() -> FakeTelegram:
    """Return a fresh fake Bot API."""
    return FakeTelegram()


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    """Yield an initialized Bot wired to the fake."""
    async with Bot(
        TOKEN,
        request=FakeRequest(fake, read_timeout=1.0),
        get_updates_request=FakeRequest(fake, read_timeout=1.0),
    ) as tg_bot:
        yield tg_bot


async def test_get_me(bot: Bot, fake: FakeTelegram) -> None:
    """getMe answers with the fake bot's identity."""
    me = await bot.get_me()
    assert me.id == fake.bot_id
    assert me.username == fake.bot_username
    assert me.is_bot


async def test_send_message_keyboard_and_click(bot: Bot, fake: FakeTelegram) -> None:
    """A button click becomes a CallbackQuery update PTB can parse and answer."""
    fake.user_sends_command(USER, "/start")
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Lapor kekerasan", callback_data="report")]]
    )
    sent = await bot.send_message(
        USER, "<b>Halo</b> &amp; selamat datang", "HTML", reply_markup=markup
    )
    assert sent.text == "Halo & selamat datang"
    assert sent.message_id == 2  # the user's /start was message 1 in this chat
    stored = fake.last_message(USER)
    assert stored.buttons == [[("Lapor kekerasan", "report")]]
    assert stored.parse_mode == "HTML"

    message_id, data = fake.button(USER, "lapor")
    raw = fake.user_clicks(USER, USER, message_id, data)
    update = Update.de_json(raw, bot)
    assert update.callback_query is not None
    assert update.callback_query.data == "report"
    assert update.callback_query.message is not None
    assert update.callback_query.message.message_id == sent.message_id

    assert await update.callback_query.answer("Terima kasih", show_alert=True)
    assert fake.callback_answers[-1].text == "Terima kasih"
    assert fake.callback_answers[-1].show_alert
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await update.callback_query.answer()


async def test_edit_and_delete(bot: Bot, fake: FakeTelegram) -> None:
    """Edits keep history; missing or unchanged messages answer 400."""
    fake.user_sends_text(USER, "halo")
    sent = await bot.send_message(USER, "satu")
    await bot.edit_message_text("dua", chat_id=USER, message_id=sent.message_id)
    stored = fake.last_message(USER)
    assert stored.text == "dua"
    assert [v.text for v in stored.edits] == ["satu"]
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("dua", chat_id=USER, message_id=sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=99)
    assert await bot.delete_message(USER, sent.message_id)
    assert fake.messages(USER) == []
    assert fake.messages(USER, include_deleted=True)[0].deleted
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(USER, sent.message_id)
    assert await bot.delete_message(USER, 1)  # the user's own message
    assert fake.deleted_user_messages == [(USER, 1)]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("<script>alert(1)</script>", 'Unsupported start tag "script"'),
        ("1 < 2", 'Unexpected "<"'),
        ("Tom & Jerry", "Can't find end of the entity"),
        ("Tom &Jerry", "Can't find end of the entity"),
        ("<b>tebal", "Can't find end tag"),
        ("<b><i>x</b></i>", "Unmatched end tag"),
        ("<span>x</span>", 'Unsupported start tag "span"'),
        ("&nbsp;", "Unsupported HTML entity"),
    ],
)
async def test_html_validation_rejects(
    bot: Bot, fake: FakeTelegram, text: str, fragment: str
) -> None:
    """Unescaped user text in HTML messages fails like on Telegram."""
    fake.user_sends_text(USER, "halo")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities") as info:
        await bot.send_message(USER, text, parse_mode="HTML")
    assert fragment.lower() in str(info.value).lower()
    assert fake.messages(USER) == []


async def test_html_validation_accepts_telegram_subset(bot: Bot, fake: FakeTelegram) -> None:
    """Every Telegram tag and entity is accepted."""
    fake.user_sends_text(USER, "halo")
    text = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
        '<strike>t</strike><del>d</del><span class="tg-spoiler">x</span>'
        '<tg-spoiler>y</tg-spoiler><a href="https://x.id/?a=1&amp;b=2">l</a><code>c</code>'
        '<pre><code class="language-python">p</code></pre><blockquote>q</blockquote>'
        '<tg-emoji emoji-id="1">🙂</tg-emoji> &lt;&gt;&amp;&quot;&#65;&#x42; 5 > 3'
    )
    sent = await bot.send_message(USER, text, parse_mode="HTML")
    assert sent.text is not None
    assert sent.text.endswith("""<>&"AB 5 > 3""")


async def test_markdown_v2_reserved_character(bot: Bot, fake: FakeTelegram) -> None:
    """An unescaped '.' in MarkdownV2 is rejected, an escaped one accepted."""
    fake.user_sends_text(USER, "halo")
    with pytest.raises(BadRequest, match=r"(?i)reserved"):
        await bot.send_message(USER, "Selesai.", parse_mode="MarkdownV2")
    sent = await bot.send_message(USER, "*Selesai*\\.", parse_mode="MarkdownV2")
    assert sent.text == "Selesai."


async def test_text_and_button_limits(bot: Bot, fake: FakeTelegram) -> None:
    """Empty or long text and oversized callback_data answer 400."""
    fake.user_sends_text(USER, "halo")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(USER, "   ")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(USER, "x" * 4097)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "ok", reply_markup=markup)
    await bot.send_message(USER, "x" * 4096)


async def test_unknown_user_is_forbidden(bot: Bot, fake: FakeTelegram) -> None:
    """The bot cannot write first to a user, nor to a user who blocked it."""
    with pytest.raises(Forbidden, match=r"(?i)can't initiate conversation"):
        await bot.send_message(777, "halo")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(-100, "halo")
    fake.user_sends_text(777, "halo")
    await bot.send_message(777, "halo juga")
    fake.user_blocks_bot(777)
    with pytest.raises(Forbidden, match=r"(?i)blocked"):
        await bot.send_message(777, "halo lagi")


async def test_get_updates_offset_confirms(bot: Bot, fake: FakeTelegram) -> None:
    """Updates stay until a later offset confirms them."""
    first = fake.user_sends_text(USER, "satu")
    second = fake.user_sends_text(USER, "dua")
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [first["update_id"], second["update_id"]]
    assert fake.updates_pending() == 2
    updates = await bot.get_updates(offset=second["update_id"])
    assert [u.message.text for u in updates if u.message] == ["dua"]
    assert fake.updates_pending() == 1
    assert await bot.get_updates(offset=second["update_id"] + 1) == ()
    assert fake.updates_pending() == 0
    assert fake.next_update_id == second["update_id"] + 1


async def test_get_updates_long_poll_wakes(bot: Bot, fake: FakeTelegram) -> None:
    """A waiting long poll returns as soon as a user writes."""
    task = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert not task.done()
    fake.user_sends_text(USER, "halo")
    updates = await asyncio.wait_for(task, 1.0)
    assert updates[0].message is not None
    assert updates[0].message.text == "halo"


async def test_concurrent_get_updates_conflict(bot: Bot, fake: FakeTelegram) -> None:
    """A second poller terminates the first with 409 Conflict."""
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(bot.get_updates(timeout=0))
    with pytest.raises(Conflict):
        await first
    assert await second == ()


async def test_user_file_download(bot: Bot, fake: FakeTelegram) -> None:
    """Photos, documents and voice notes users send can be downloaded."""
    update = Update.de_json(
        fake.user_sends_document(USER, b"%PDF-1", "bukti.pdf", "application/pdf"), bot
    )
    assert update.message is not None and update.message.document is not None
    tg_file = await bot.get_file(update.message.document.file_id)
    assert bytes(await tg_file.download_as_bytearray()) == b"%PDF-1"
    photo = Update.de_json(fake.user_sends_photo(USER, b"\xff\xd8jpeg"), bot)
    assert photo.message is not None
    data = await (await photo.message.photo[-1].get_file()).download_as_bytearray()
    assert bytes(data) == b"\xff\xd8jpeg"
    voice = Update.de_json(fake.user_sends_voice(USER, b"OggS", 3), bot)
    assert voice.message is not None and voice.message.voice is not None
    assert voice.message.voice.duration == dt.timedelta(seconds=3)
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")


async def test_bot_sends_document_and_photo(bot: Bot, fake: FakeTelegram) -> None:
    """Uploaded files are stored and file_ids can be re-sent."""
    fake.user_sends_text(USER, "halo")
    sent = await bot.send_document(
        USER, b"isi laporan", filename="laporan.txt", caption="<i>Laporan</i>", parse_mode="HTML"
    )
    assert sent.document is not None and sent.caption == "Laporan"
    assert fake.last_message(USER).document == ("laporan.txt", b"isi laporan")
    again = await bot.send_document(USER, sent.document.file_id)
    assert fake.messages(USER)[-1].document == ("laporan.txt", b"isi laporan")
    assert again.document is not None
    photo = await bot.send_photo(USER, b"\x89PNG")
    assert photo.photo and fake.last_message(USER).photo == b"\x89PNG"
    await bot.send_chat_action(USER, "typing")
    assert fake.chat_actions == [(USER, "typing")]


async def test_other_simulations_parse(bot: Bot, fake: FakeTelegram) -> None:
    """Every simulated update is valid for PTB."""
    group = -1001234567890
    sticker = Update.de_json(fake.user_sends_sticker(USER), bot)
    assert sticker.message is not None and sticker.message.sticker is not None
    contact = Update.de_json(fake.user_sends_contact(USER, "+628123456789"), bot)
    assert contact.message is not None and contact.message.contact is not None
    text = fake.user_sends_text(USER, "lama")
    edited = Update.de_json(
        fake.user_edits_message(USER, text["message"]["message_id"], "baru"), bot
    )
    assert edited.edited_message is not None and edited.edited_message.text == "baru"
    joined = Update.de_json(fake.member_joins(group, fake.bot_id), bot)
    assert joined.message is not None and joined.message.new_chat_members[0].id == fake.bot_id
    in_group = Update.de_json(
        fake.user_sends_command(USER + 1, "/lapor@ppa_uji_bot", chat_id=group), bot
    )
    assert in_group.effective_chat is not None and in_group.effective_chat.type == "supergroup"
    chat = await bot.get_chat(group)
    assert chat.title
    await bot.send_message(group, "halo grup")
    with pytest.raises(Forbidden):
        await bot.send_message(USER + 1, "pm")  # writing in a group does not start a chat
    assert await bot.leave_chat(group)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(group, "lagi")


async def test_fault_injection(fake: FakeTelegram) -> None:
    """Injected 429, 500, timeouts and drops surface as PTB's exceptions."""
    fake.user_sends_text(USER, "halo")
    async with Bot(TOKEN, request=FakeRequest(fake, read_timeout=0.2)) as tg_bot:
        fake.fail_next("sendMessage", 1, "429", retry_after=7)
        with pytest.raises(RetryAfter) as info:
            await tg_bot.send_message(USER, "x")
        assert info.value.retry_after == dt.timedelta(seconds=7)
        assert fake.too_many_requests == 1
        fake.fail_next(None, 1, "500")
        with pytest.raises(NetworkError, match=r"(?i)Internal Server Error"):
            await tg_bot.get_me()
        fake.fail_next("getMe", 1, "timeout")
        with pytest.raises(TimedOut):
            await tg_bot.get_me()
        fake.fail_next("getMe", 1, "drop")
        with pytest.raises(NetworkError, match=r"(?i)disconnected"):
            await tg_bot.get_me()
        assert (await tg_bot.send_message(USER, "pulih")).text == "pulih"


async def test_rate_limits(bot: Bot, fake: FakeTelegram) -> None:
    """enforce_limits answers 429 beyond one message per second per chat."""
    now = [1000.0]
    fake.enforce_limits(clock=lambda: now[0])
    fake.user_sends_text(USER, "halo")
    await bot.send_message(USER, "satu")
    with pytest.raises(RetryAfter):
        await bot.send_message(USER, "dua")
    now[0] += 1.0
    await bot.send_message(USER, "dua")
    assert fake.too_many_requests == 1


async def test_wait_for_message(fake: FakeTelegram) -> None:
    """wait_for_message wakes on a new message and times out otherwise."""
    fake.user_sends_text(USER, "halo")

    async def later() -> None:
        await asyncio.sleep(0.05)
        await fake.call(TOKEN, "sendMessage", {"chat_id": USER, "text": "balasan"})

    task = asyncio.create_task(later())
    message = await fake.wait_for_message(USER, lambda m: "balasan" in (m.text or ""), 1.0)
    await task
    assert message.message_id == 2
    with pytest.raises(TimeoutError):
        await fake.wait_for_message(USER, after_message_id=2, timeout=0.05)


async def test_offline_application(fake: FakeTelegram) -> None:
    """A full Application polls the fake and answers commands and buttons."""

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ya", callback_data="yes")]])
        await update.effective_message.reply_text("Mulai?", reply_markup=keyboard)

    async def clicked(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text("Baik")

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(FakeRequest(fake))
        .get_updates_request(FakeRequest(fake))
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(clicked))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        fake.user_sends_command(USER, "/start")
        await fake.wait_for_message(USER, lambda m: m.text == "Mulai?")
        fake.click_button(USER, USER, "Ya")
        edited = await fake.wait_for_message(USER, lambda m: m.text == "Baik")
        assert edited.buttons == [] and len(fake.callback_answers) == 1
        await app.updater.stop()
        await app.stop()
    assert fake.updates_pending() == 0
