"""What a task writes for people: the per-recipient report and the JSON / CSV result files, to a
local path or any ``ObjectStoragePath`` URL."""
