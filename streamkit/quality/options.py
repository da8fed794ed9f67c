"""The filter's vocabulary: :class:`QualityOptions` (every threshold and weight), :class:`Dropped`,
the outro phrase data and the types of the audio callables (``EnergyFn``, ``SpeechFn``).

Every other module of the package builds on this one; it imports none of them.

Signals and their weights (``QualityOptions``; all thresholds are data):

=============== ====== =====================================================================
signal          weight why it is evidence of invented text
=============== ====== =====================================================================
no_speech       1.0    Whisper's own rule: no-speech probability >= 0.6 *and* average
                       log-probability <= -1.0 (faster-whisper's defaults)
energy          1.0    the audio under the words is silent: 30 dB below the recording's
                0.5    speech level (or below -65 dBFS); 20 dB below: weak
vad             0.5    the voice activity detector's speech probability under the words is
                0.3    below 0.3 (below 0.45: 0.3). Whisper's VAD merges speech chunks up to
                       2 s apart and pads them, so Whisper hears stretches the VAD did not call
                       speech; it invents text there
confidence      0.7    mean word probability below 0.3; below 0.45: 0.4
no_confident    0.3    not one word reaches probability 0.5
outro           0.7    a channel outro / subtitle credit / news sign-off covers the text;
                0.5    a bare "감사합니다"/"Thank you" style closing: weak
edge            0.2    an outro phrase within 30 s of the recording's start or end, where
                       Whisper puts them (text alone never reaches 1.0: people do say
                       "시청해주셔서 감사합니다"; a decoder or audio signal must agree)
prompt_echo     0.7    the text is a piece of the prompt / hotwords given to Whisper
loop            0.5    the text was repeated in a loop (what is left of it, a last round cut off
                       mid-word included), or is an unsure run detached from speech running into one
detached        0.3    a low-confidence run split off a confident utterance by a pause; or two or more
                       words in music for 1 s or more (a singer), cut from a line or a segment alone
logprob         0.3    average log-probability below -1.0 (shared by a whole 30 s window,
                0.6    so weak); below -1.5: 0.6. Batched decoding has no temperature fallback,
                       so what the sequential path would decode again at -1.0 is kept as written
compression     0.3    compression ratio above 2.4 (repetitive window)
timing          0.3    implausible word timing: half the words faster than 25 characters/s
cluster         0.3    within 1 s of dropped text (invented text comes in clusters)
counting        0.5    nothing but two or more numbers ("1, 2, 3, 4"): Whisper counts over music
repeat          0.5    nothing but one word said three times or more ("또는, 또는, 또는"): the
                       start of Whisper's loop (a loop holds four rounds). People do say "네, 네,
                       네", so it is not a known pattern: over voice it never drops text
                0.7    nothing but a phrase of 2-3 words said more than twice, the last round
                       perhaps cut short ("시즌은 이 시즌은 이 시즌" over intro music, log-probability
                       -1.27): Whisper's loop, cut where its segment ended. Text alone stays
                       under 1.0 (people do say "가자 빨리 가자 빨리 가자"): a decoder signal must agree
repeat          0.3    a piece on no voice that says again what came just before it (the last 1-3
                       runs, within 3 s): Whisper's first step into a loop, over the music after a line
counting        0.5    (also a run of numbers whose segment, with its other runs, counts: "3"
                       2.6 s after a dropped "1, 2,")
                0.5    more for a segment of nothing but numbers on no voice (not fitted onto a
                       voiced stretch: a crowd, music). People count on a voice of their own
                       ("하나, 둘, 셋!"), or in one breath with a sentence
script          0.3    no letter in the transcript language's script (English sentences in a
                       Korean transcript: Whisper's outros are often in English)
over voice      —      a piece fitted (within 1.5 s, ``voice.py``) mostly onto frames that the
                       energy and the VAD both call voice: evidence is measured there, and only
                       outro, loop, prompt_echo or script evidence can drop it
music           0.6    a piece off the voice with 80 % of its time in music frames (bass under
                       60 Hz as strong as the voice's range: ``profiles.music_frames``); a
                       stretch mostly in them is no voice either, though the VAD hears a singer
timeless        —      three or more words in a row of no length (20 ms or less each): text
                       Whisper wrote with no audio under it. Dropped outright, like a loop
no_voice        1.0    a short unsure piece where nothing sounds like a voice: at most 2
                       syllables, no word at 0.7 or above, no voiced stretch within 1.5 s, and
                       under it the VAD hears no speech or the sound goes on at one level on
                       both sides (music, crowd: ``voice.voice_in_reach``). Whisper puts a
                       syllable of the next sentence, or one it invents, over the music before
                       the speech; a real reply between pauses stands out from one side at least
attached        -0.4   counter-evidence: a fragment of at most 4 words touching (within 100 ms)
                       confident speech that stays, over audio as loud as speech (Whisper cuts
                       sentences into segments)
=============== ====== =====================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

# --------------------------------------------------------------------------- options and Dropped

#: ``energy(start_ms, end_ms)``: RMS level of the audio in that span, in dBFS.
EnergyFn = Callable[[int, int], float]
#: ``speech(start_ms, end_ms)``: mean voice-activity (speech) probability of that span, 0..1.
SpeechFn = Callable[[int, int], float]

#: Boilerplate Whisper learned from the end of YouTube videos and broadcasts (ko, en, ja, zh).
OUTRO_PHRASES: tuple[str, ...] = (
    # Korean
    "시청해주셔서 감사합니다",
    "시청해 주셔서 감사합니다",
    "끝까지 시청해주셔서 감사합니다",
    "오늘도 시청해주셔서 감사합니다",
    "구독과 좋아요 부탁드립니다",
    "구독 좋아요 부탁드립니다",
    "좋아요와 구독 부탁드립니다",
    "구독과 좋아요 알림설정 부탁드립니다",
    "구독 좋아요 알림설정",
    "구독과 좋아요",
    "다음 영상에서 만나요",
    "다음 영상에서 뵙겠습니다",
    "한글자막",
    # English
    "Thanks for watching",
    "Thank you for watching",
    "Thank you so much for watching",
    "Please subscribe",
    "Don't forget to subscribe",
    "Like and subscribe",
    "Please like and subscribe",
    "See you in the next video",
    "Subtitles by the Amara.org community",
    # Japanese
    "ご視聴ありがとうございました",
    "ご視聴ありがとうございます",
    "チャンネル登録お願いします",
    "チャンネル登録よろしくお願いします",
    "字幕",
    # Chinese
    "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目",
    "谢谢观看",
)

#: Closings people really say, which Whisper also invents over silence: weak evidence only.
WEAK_OUTRO_PHRASES: tuple[str, ...] = (
    "감사합니다",
    "봐주셔서 감사합니다",
    "고맙습니다",
    "수고하셨습니다",
    "안녕히 계세요",
    "안녕히 가세요",
    "Thank you",
    "Thank you very much",
    "Bye",
    "ありがとうございました",
    "谢谢",
)

#: News sign-offs ("MBC 뉴스 이덕영입니다", "KBS 뉴스 김철수입니다") and subtitle credits.
OUTRO_PATTERNS: tuple[str, ...] = (
    r"(?:MBC|KBS|SBS|YTN|JTBC|TV조선|채널A|MBN|연합)\s*뉴스\s*\S{2,5}\s*입니다",
    r"(?:MBC|KBS|SBS|YTN|JTBC)\s*뉴스\s*\S{2,5}\s*기자",
    r"\S{2,5}\s*기자가\s*보도합니다",
    r"자막\s*(?:제공|제작|by)\b.*",
    r"(?i:subtitles?\s+by)\b.*",
    r"(?i:transcribed\s+by)\b.*",
    r"字幕(?:由|制作|提供|:|：).*",
)


@dataclass(frozen=True)
class QualityOptions:
    """Thresholds and weights of :func:`clean_transcript` (see the module docstring)."""

    #: An utterance whose evidence reaches this is dropped.
    drop_score: float = 1.0
    # Whisper's decoder signals (faster-whisper's own thresholds).
    no_speech_prob: float = 0.6
    avg_logprob: float = -1.0
    very_low_avg_logprob: float = -1.5
    #: A piece that is one word said this many times or more (fewer than a loop's ``loop_min_repeats``).
    repeat_min: int = 3
    #: A piece that is nothing but a phrase of 2 to this many words said more than twice (``w_phrase_repeat``).
    phrase_repeat_max_words: int = 3
    compression_ratio: float = 2.4
    # Word probabilities.
    low_word_probability: float = 0.45
    very_low_word_probability: float = 0.3
    confident_word_probability: float = 0.5
    #: Lead-in / tail runs: every word below this, mean below ``lead_in_mean``, a pause of at
    #: least ``lead_in_pause_ms`` to a rest whose mean is at least ``lead_in_rest``.
    lead_in_word_probability: float = 0.5
    lead_in_mean: float = 0.4
    lead_in_pause_ms: int = 200
    lead_in_rest: float = 0.6
    lead_in_min_words: int = 2
    #: An utterance within this of a kept neighbour whose mean word probability is at least
    #: ``attach_probability`` is a piece of that speech (counter-evidence ``w_attached``).
    attach_gap_ms: int = 100
    attach_probability: float = 0.6
    #: Only fragments of at most this many words are pieces of their neighbour.
    attach_max_words: int = 4
    #: An utterance within this of dropped text collects ``w_cluster``; with dropped text within it on
    #: both sides of an island of kept text at most ``island_ms`` long, ``w_inside_cluster`` (likelier
    #: words inside a run of invented ones).
    cluster_gap_ms: int = 1000
    island_ms: int = 3000
    #: A pause between words at least this long cuts an utterance into runs judged on their own
    #: (0 = never). Batched decoding returns a whole VAD chunk (up to 30 s) as one segment; the VAD
    #: merges speech up to 2 s apart, so a longer pause is where its chunks were glued together.
    split_pause_ms: int = 2000
    #: ... and after a sentence's end (. ? !) at a pause this long, before a run of at least this many words.
    sentence_split_pause_ms: int = 1000
    sentence_split_min_words: int = 4
    # Word timing.
    #: A word longer than ``max_word_ms + max_word_ms_per_char * characters`` is stretched.
    max_word_ms: int = 300
    max_word_ms_per_char: int = 250
    max_chars_per_second: float = 25.0
    #: ``timeless_run`` words or more in a row, each ``timeless_ms`` long or less, were written with no
    #: audio under them and are dropped (``detectors.timeless_runs``). 0 turns this off.
    timeless_run: int = 3
    timeless_ms: int = 20
    # Loops.
    loop_min_repeats: int = 4
    loop_max_unit: int = 8
    #: A word holding 1-3 characters said this many times in a row is Whisper looping within a token
    #: ("아스리시시시…", 140 times over music on conv-102 2 dB quieter: seven hard errors in five cues); it is
    #: dropped as a loop. Real words do not (laughter written "하하하하" is four).
    stutter_repeats: int = 6
    utterance_loop_repeats: int = 3
    utterance_loop_gap_ms: int = 3000
    # Energy (needs ``energy``).
    silence_below_speech_db: float = 30.0
    quiet_below_speech_db: float = 20.0
    silence_floor_dbfs: float = -65.0
    #: A word holding a silent run this long keeps only the side of it with more sound (``retime._retime``).
    inner_pause_ms: int = 300
    energy_frame_ms: int = 50
    #: Words at least this probable define the recording's speech level.
    level_word_probability: float = 0.7
    # Voice activity (needs ``speech``).
    vad_silent: float = 0.3
    vad_doubtful: float = 0.45
    # Voice (needs ``energy`` and ``speech``; see ``voice.py``). A voice frame is within
    # ``quiet_below_speech_db`` of the speech level and has a VAD probability of ``voice_vad``.
    voice_vad: float = 0.3
    #: ... and stands this far above the quiet fifth of the audio around it (``voice.py``).
    voice_contrast_db: float = 8.0
    #: Words are fitted to the voice within this of their claimed time (0 = never).
    voice_search_ms: int = 1500
    #: A first word alone before a pause this long, this many dB under the voice its next word begins
    #: in, is moved up to that voice's onset (``voice.align_to_voice``).
    lead_word_pause_ms: int = 1000
    lead_word_below_db: float = 10.0
    #: Words that never end a phrase (Korean determiners: a noun follows). One that Whisper put
    #: ``determiner_pause_ms`` or more before the word after it, and at most ``determiner_reach_ms``, is moved
    #: on to that word (``align._determiners_to_their_nouns``). Applied to Korean transcripts.
    determiners: tuple[str, ...] = ("다른", "어떤", "무슨", "모든", "여러", "어느", "이런", "그런", "저런", "온갖",
                                    "웬", "딴")
    determiner_pause_ms: int = 500
    determiner_reach_ms: int = 10_000
    #: A word standing alone off the voice (in music, or on no voiced stretch for half its time where the VAD hears
    #: none), at least ``lead_word_pause_ms`` after a sentence's end or any word and before its next word, which
    #: begins on voice at most this much later, is moved on to that word; one just after a voiced stretch without
    #: words goes back onto it (``align._strays_onto_voice``; 0 turns both off).
    stray_reach_ms: int = 5000
    #: A word before such a pause that Whisper gave less than this per syllable (faster than anyone
    #: speaks: 60 ms is 16 syllables a second) is moved on to the voice onset before its next word.
    squeezed_ms_per_char: int = 60
    #: An utterance's first word starts where its voice does: not on frames this many dB under its loudest
    #: (a music bed under a turn), and a cue is not moved back onto such frames.
    onset_below_db: float = 10.0
    #: ... unless they stand this many dB over the median level of the ``onset_bed_ms`` before the word (the
    #: bed or the silence it comes in over: a voice's quiet first syllable is voice), and are at most
    #: ``onset_max_below_db`` under its loudest frame (room noise after silence is not).
    onset_above_bed_db: float = 6.0
    onset_bed_ms: int = 500
    onset_max_below_db: float = 13.0
    #: The voice activity detector's probability rises about this long after a voice comes in, so a voiced
    #: stretch starts that late: a cue moved later onto a stretch's onset starts this much before it. Moved
    #: onto the onset itself, 12 first words that began within 41 ms of their voice on the conversational
    #: sets came up 59-112 ms late (one cue then started after the reply before it had chained into its voice).
    voice_onset_lag_ms: int = 100
    #: ... measured against the word's loudest frame where the voice-activity probability of those frames
    #: stays under this (music the VAD half hears: 0.39-0.62 on the conversational sets; a phone voice's
    #: quiet start, phone-aware: 0.87); against the word's level everywhere.
    bed_vad: float = 0.7
    #: ... the same for a word after a pause this long (a turn may start there).
    onset_pause_ms: int = 500
    #: A piece with at least this share of its frames on voice frames is over voice: only the
    #: ``pattern_signals`` (known invented patterns) can drop it, never its confidence.
    voice_share: float = 0.5
    #: Frames at voice level with at least this share of their power in 300-3400 Hz are a voice on a
    #: telephone line (``profiles.phone_voice``, ``voice.phone_stretches``), given a band profile.
    phone_share: float = 0.98
    #: ... and such a stretch is a turn coming in when the ``voice_search_ms`` before it hold less than this
    #: share in that band (another sound: music 0.3-0.76, applause 0.75-0.88, a full-band voice 0.6-0.92),
    #: however loud that was (``voice.phone_turns``).
    phone_onset_share: float = 0.9
    #: A frame lies in music when the ``music_reach_ms`` on each side of it hold at least this much power at 20-60 Hz
    #: (a bass line, a kick drum) against 150-4000 Hz (a voice's range), in dB (``profiles.music_frames``). No voice
    #: reaches down there. On the ten conversational sets 94 % of the music frames the VAD hears as speech
    #: (a "singer") reach it, and 0.8 % of the speech frames, 1.7 % over a music bed 12 dB under the voice, 0.9 %
    #: on a telephone line: the frames next to music (docs/benchmarks.md, twenty-eighth pass).
    music_bass_db: float = -14.0
    music_reach_ms: int = 200
    #: Given music frames, a voiced stretch with at least this share of its time in them is no voice (the VAD's
    #: speech there is a singer), and a piece off the voice with this share of its time in them gets ``w_music``.
    music_share: float = 0.8
    #: Two or more words, each lying half its time or more in music frames, for at least this long, next to words
    #: that do not: a run of their own, judged apart (``passes._music_edges``; 0 turns it off). One word is no
    #: singer: Whisper stretches a line's first word back over the music before it (conv-107 at 26.0 s). A run of
    #: music frames this long is also cut out of a voiced stretch (a line running into music the VAD hears), and
    #: such a run of words is measured where it lies, not fitted to the voice next to it.
    music_run_ms: int = 1000
    pattern_signals: tuple[str, ...] = ("outro", "loop", "prompt_echo", "script", "counting", "laughter")
    #: Every piece is over voice, whatever the profiles say (none given): the caller vouches for the voice under
    #: it. Whisper's English laid on the Korean sentences the filter kept (``pipeline.clean_translation``).
    assume_voice: bool = False
    #: A piece of at most this many syllables with no word at ``short_probability`` or above and
    #: no voice within ``voice_search_ms`` collects ``w_no_voice`` (``voice.voice_in_reach``).
    short_max_syllables: int = 2
    short_probability: float = 0.7
    #: Voiced stretches: voice frames with gaps up to ``voice_gap_ms``, at least ``voice_min_ms``.
    voice_gap_ms: int = 300
    voice_min_ms: int = 400
    voice_max_ms: int = 8000
    #: A run of voice frames longer than ``voice_max_ms`` that stands out from the audio before it starts
    #: with a voice coming in: its first ``voice_head_ms`` are decoded on their own (``voice.voice_heads``).
    voice_head_ms: int = 3000
    # Outros.
    outro_phrases: tuple[str, ...] = OUTRO_PHRASES
    weak_outro_phrases: tuple[str, ...] = WEAK_OUTRO_PHRASES
    outro_patterns: tuple[str, ...] = OUTRO_PATTERNS
    #: A phrase must cover at least this share of the utterance's characters.
    outro_coverage: float = 0.5
    edge_ms: int = 30_000
    #: Prompt echo: the text is a piece of the prompt at least this many characters long (and so for ``w_echo``).
    echo_min_chars: int = 4
    # Weights.
    w_no_speech: float = 1.0
    w_silence: float = 1.0
    w_quiet: float = 0.5
    w_very_low_confidence: float = 0.7
    w_low_confidence: float = 0.4
    w_no_confident_word: float = 0.3
    w_outro: float = 0.7
    w_weak_outro: float = 0.5
    w_edge: float = 0.2
    w_prompt_echo: float = 0.7
    w_loop: float = 0.5
    w_detached: float = 0.3
    #: A run of two or more words in music for a second or more, off the voice: cut from its segment's speech
    #: (``passes._music_edges``) or a segment of its own (``scoring._sung``). With the music under it (``w_music``)
    #: it reaches ``drop_score``: a singer. At 0.3 (``w_detached``), the time-reversed "singer" of conv-105's music
    #: bed (confident words, 0.45-0.99) stayed at 0.9, four cues over the music.
    w_music_run: float = 0.4
    w_logprob: float = 0.3
    w_very_low_logprob: float = 0.6
    w_repeat: float = 0.5
    w_phrase_repeat: float = 0.7
    w_compression: float = 0.3
    w_timing: float = 0.3
    w_cluster: float = 0.3
    w_inside_cluster: float = 0.7
    w_script: float = 0.3
    w_counting: float = 0.5
    w_counting_off_voice: float = 0.5
    #: Laughter written as syllables ("어허허허", "흐흐흐"): a burst of laughter under it is voice to the VAD, but it
    #: says nothing to subtitle (live, conv-106 at 46.5 and 72.7 s, captions over laughter). Above ``drop_score`` by
    #: more than ``w_attached``: next to a line it goes all the same.
    w_laughter: float = 1.5
    w_echo: float = 0.3
    #: ... for a piece (of ``echo_min_chars`` or more) that says the last 1 to ``echo_max_runs`` runs before it
    #: again, within ``utterance_loop_gap_ms``.
    echo_max_runs: int = 3
    w_music: float = 0.6
    w_vad_silent: float = 0.5
    w_vad_doubtful: float = 0.3
    w_no_voice: float = 1.0
    #: Counter-evidence, subtracted.
    w_attached: float = 0.4

    def __post_init__(self) -> None:
        if self.loop_min_repeats < 2 or self.utterance_loop_repeats < 2 or self.repeat_min < 2:
            raise ValueError("QualityOptions: loop repeats must be at least 2")
        if self.loop_max_unit < 1 or self.energy_frame_ms < 1:
            raise ValueError("QualityOptions: loop_max_unit and energy_frame_ms must be positive")
        if self.drop_score <= 0:
            raise ValueError("QualityOptions: drop_score must be positive")
        if self.voice_search_ms < 0 or not 0 < self.voice_share <= 1:
            raise ValueError("QualityOptions: voice_search_ms must not be negative, voice_share in (0, 1]")
        if self.split_pause_ms < 0 or self.voice_onset_lag_ms < 0:
            raise ValueError("QualityOptions: split_pause_ms and voice_onset_lag_ms must not be negative")


@dataclass(frozen=True)
class Dropped:
    """Text taken out of the transcript, where, and why."""

    start_ms: int
    end_ms: int
    text: str
    reason: str
    #: The signal codes that added up (``confidence``, ``energy``, ``outro``, ``loop`` ...).
    signals: tuple[str, ...] = field(default=())
