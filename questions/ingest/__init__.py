"""Questions from outside the studio: one module per source, all ending in ``base.ingest``.

- ``sms``: Twilio-compatible inbound SMS webhook (signature checked);
- ``webhook``: signed JSON webhook for any other system;
- ``mastodon``: a hashtag followed through the streaming API, with polling as fallback;
- ``bluesky``: posts with the session's hashtags from a Jetstream websocket;
- ``appview``: their authors' Bluesky profiles (handle, name, followers), read from an AppView;
- ``replay``: a recorded stream (JSONL or CSV) imported by a management command;
- ``follower``: what the Mastodon and Bluesky followers share (feed, backoff, status, ingestion);
- ``follow``: the managed process that follows the Mastodon and Bluesky feeds of live sessions;
- ``health``: the followed feeds' last message and last error, for the readiness page.
"""
