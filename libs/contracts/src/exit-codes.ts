/**
 * The exit code of a service that refuses its configuration: 78 is EX_CONFIG in the BSD
 * sysexits convention. A supervisor (npm start's, systemd's RestartPreventExitStatus=, a
 * container runtime's policy) can tell it apart from a crash: restarting with the same settings
 * fails the same way, so it gives up at once instead of repeating the same error.
 */
export const EXIT_CONFIG_INVALID = 78;
