"""What several test modules share: the emulator's connections and numbers (:mod:`.gateways`), task
stand-ins (:mod:`.task_fakes`), the bad-input table (:mod:`.bad_inputs`), gateway rules without a
server (:mod:`.gateway_rules`), the deferrable-run drivers (:mod:`.delivery`) and the chaos fault
mix (:mod:`.fault_mix`). Imported as ``tests.helpers.<module>``."""
