"""Speech synthesis and audio files, shared by the audio and video plugins (not a plugin itself).

eSpeak NG synthesis (:mod:`multis2s_speech.espeak`), the sentence grammars and synthetic speakers
that the embedded corpora are made of (:mod:`multis2s_speech.grammars`,
:mod:`multis2s_speech.speakers`), and audio file reading (:mod:`multis2s_speech.audio_io`). The
audio plugin (speech recognition) and the video plugin (lip reading) both build on it, so neither
imports the other.
"""
