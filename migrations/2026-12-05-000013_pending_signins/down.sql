DROP TABLE pending_signins;
