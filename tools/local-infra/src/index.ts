export * from './infrastructure';
export * from './settle';
export * from './demo-report';
export * from './free-port';
export * from './service-node-flags';
export * from './supervisor';
export * from './sasl-ssl-broker';
