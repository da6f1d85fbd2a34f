"""The cut: the selected take of every shot, in order, as one video (`cut.mp4`) and a timeline
for editors (`cut.otio`); slates stand in for shots without a video yet.

May import `state` and `spec`; `report` shows it and `commands` makes it; never `run`.
"""
