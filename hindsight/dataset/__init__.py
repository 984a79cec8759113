"""The data-team side (DESIGN section 7): verify, index and export uploaded clips.

A source (:mod:`~hindsight.dataset.source`) names the clips in a folder or an
``s3://bucket/prefix``; an engine (:mod:`~hindsight.dataset.engine`) runs one
per-clip function over them in a local process pool or on Ray, each call seeing the
clip as a local folder. Imports only :mod:`hindsight.bundle`, :mod:`hindsight.actionmap`
and the shared helpers.
"""
