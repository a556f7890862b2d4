import { Module } from '@nestjs/common';
import { respondersConfig, RespondersConfig } from '../../config/app.config';
import { FaqCatalog } from './faq-catalog';
import sampleFaq from './faq.example.json';
import { FaqResponder } from './faq.responder';
import { DemoOrderLookup, ORDER_LOOKUP } from './order-lookup.service';
import { OrderStatusResponder } from './order-status.responder';

/**
 * Two templates to copy: a command responder with an injected service, and a keyword FAQ read from a file.
 * Not loaded by default; import this module (see docs/responders.md "Examples") or copy the classes into your own
 * module, binding ORDER_LOOKUP to your real order system.
 */
@Module({
  providers: [
    OrderStatusResponder,
    FaqResponder,
    { provide: ORDER_LOOKUP, useClass: DemoOrderLookup },
    {
      provide: FaqCatalog,
      inject: [respondersConfig.KEY],
      // The sample questions until FAQ_FILE names your own file.
      useFactory: (config: RespondersConfig) => (config.faqFile ? FaqCatalog.fromFile(config.faqFile) : new FaqCatalog(sampleFaq)),
    },
  ],
})
export class ExampleRespondersModule {}
