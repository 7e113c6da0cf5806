"""The built-in visual library: 410 Material Design Icons (Apache-2.0) curated for film previs.

``svg/`` holds the icons as copied from the set, ``tags.csv`` their kind and tags (the set's names
plus film synonyms), ``LICENSE.txt`` and ``NOTICE.txt`` the licence and attribution. ``curate``
is the build-time tool that copied them; ``corpus_ingest.visual_files`` reads them at run time.
"""
