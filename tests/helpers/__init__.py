"""What several test modules share: the emulator's connections and numbers (:mod:`.gateways`), task
stand-ins (:mod:`.task_fakes`), the bad-input table (:mod:`.bad_inputs`), gateway rules without a
server (:mod:`.gateway_rules`), the deferrable-run drivers (:mod:`.delivery`), the chaos fault
mix (:mod:`.fault_mix`) and the SMS views' privacy check (:mod:`.ui_privacy`). Imported as
``tests.helpers.<module>``."""
