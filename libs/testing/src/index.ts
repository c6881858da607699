export * from './namespace';
export * from './wait-for';
export * from './service-process';
export * from './service-boot';
export * from './migrations';
export * from './segment-receiver';
export * from './replay';
export * from './poison-events';
