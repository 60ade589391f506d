"""The rules SafeRound's server, phone and console share, in one place.

Nothing here imports FastAPI, SQLModel, a database or Kivy: the phone ships this package as it is
(buildozer.spec), the server and the console import it, and a rule changed here changes everywhere.

- categories: the seven inspection categories, severities, site-profile flags and `applies_if`
- lifecycle:  hazard statuses, the transition table and the pure `transition()`
- hazards:    the id a failed item's hazard gets, its description and the officer's note in it, deadlines
- weeks:      ISO weeks in the deployment's time zone
- exif:       when and where a photo was taken, read from its EXIF
- messages:   error codes with their zh-CN and en sentences, and the language a request asks for
"""
